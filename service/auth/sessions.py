"""Sessions: a short-lived access token and a rotating refresh token, both stored as hashes.

Access tokens live ACCESS_TTL; the pages refresh them silently. A refresh rotates both tokens
(the old refresh token is spent, and good again only within REFRESH_REUSE_GRACE). Revocation
and disabling take effect at once in the revoking process and within the caller TTL
(service.auth.service.caller_ttl_s, HD_CALLER_TTL_S, 30 s by default) in every other worker.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select, update
from sqlmodel import Session, col

from service.auth.models import ApiToken, AuthSession, Role
from service.errors import Unauthenticated

ACCESS_PREFIX = "hda_"
REFRESH_PREFIX = "hdr_"
ACCESS_TTL = timedelta(minutes=15)
# Refresh tokens slide: each refresh starts the period again.
REFRESH_TTL = {
    "sms": timedelta(days=30),
    "password_totp": timedelta(hours=12),
    "pairing": timedelta(days=180),
}
# How long a spent refresh token still works. A refresh whose answer is lost (a dropped
# connection, a page reloaded mid-request) leaves the device holding the spent token, and two
# tabs sharing one stored token may refresh at the same instant: both present the spent token
# again within seconds (the pages retry on their next 15-second tick), and refusing it would
# sign the device out (a tablet re-paired in the evening peak, a new SMS code). Longer would
# let a leaked spent token work longer; the grace runs from the rotation and never restarts.
REFRESH_REUSE_GRACE = timedelta(seconds=60)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionTokens:
    """What a sign-in or refresh answers (the secrets are shown once and stored only hashed)."""

    session_id: int
    role: str
    principal_id: int
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


def _hash(secret: str) -> str:
    from service.auth.service import hash_token  # one hash for every bearer secret

    return hash_token(secret)


def issue_session(
    *, session: Session, role: Role, principal_id: int, method: str, now: datetime, label: str = ""
) -> SessionTokens:
    """A new session for a principal whose credentials were just checked."""
    access, refresh = _new_secrets()
    row = AuthSession(
        role=Role(role),
        principal_id=principal_id,
        method=method,
        label=label[:64],
        access_hash=_hash(access),
        access_expires_at=now + ACCESS_TTL,
        refresh_hash=_hash(refresh),
        refresh_expires_at=now + REFRESH_TTL[method],
        created_at=now,
    )
    session.add(row)
    session.flush()
    return SessionTokens(
        row.id,
        row.role,
        principal_id,
        access,
        row.access_expires_at,
        refresh,
        row.refresh_expires_at,
    )


def refresh_session(*, session: Session, refresh_token: str, now: datetime) -> SessionTokens:
    """New access and refresh tokens for a live session. The refresh token given is spent; the
    one spent last is taken again within REFRESH_REUSE_GRACE of its rotation (a fresh pair; the
    session goes on), and refused after it like any unknown token."""
    given = _hash(refresh_token or "")
    access, refresh = _new_secrets()
    # Each is one conditional UPDATE: PostgreSQL locks the row and re-checks the condition on
    # its newest version, SQLite writes one at a time, so of two concurrent refreshes with one
    # token the first rotates it and the second finds it spent within the grace.
    row = _rotate(session, given, access, refresh, now) or _reissue(
        session, given, access, refresh, now
    )
    if row is None:
        _note_reuse(session, given)
        raise Unauthenticated(
            "the refresh token is unknown, spent or expired", field="refresh_token"
        )
    refresh_until = now + REFRESH_TTL[row.method]
    session.execute(
        update(AuthSession)
        .where(col(AuthSession.id) == row.id)
        .values(refresh_expires_at=refresh_until)
    )
    return SessionTokens(
        row.id, row.role, row.principal_id, access, now + ACCESS_TTL, refresh, refresh_until
    )


def _rotate(session: Session, given: str, access: str, refresh: str, now: datetime):
    """The current refresh token: spend it (kept as previous) and start its grace."""
    return _renew(
        session,
        col(AuthSession.refresh_hash) == given,
        now,
        access=access,
        refresh=refresh,
        previous_refresh_hash=AuthSession.refresh_hash,
        refreshed_at=now,
    )


def _reissue(session: Session, given: str, access: str, refresh: str, now: datetime):
    """The previous refresh token within its grace: a fresh pair replaces the current one (whose
    answer was lost or went to the other tab); the grace does not restart."""
    return _renew(
        session,
        (col(AuthSession.previous_refresh_hash) == given)
        & (col(AuthSession.refreshed_at) > now - REFRESH_REUSE_GRACE),
        now,
        access=access,
        refresh=refresh,
    )


def _renew(session: Session, condition, now: datetime, *, access: str, refresh: str, **values):
    return session.execute(
        update(AuthSession)
        .where(
            condition,
            col(AuthSession.revoked_at).is_(None),
            col(AuthSession.refresh_expires_at) > now,
        )
        .values(
            access_hash=_hash(access),
            refresh_hash=_hash(refresh),
            access_expires_at=now + ACCESS_TTL,
            **values,
        )
        .returning(AuthSession.id, AuthSession.role, AuthSession.principal_id, AuthSession.method)
    ).first()


def _note_reuse(session: Session, given: str) -> None:
    """A spent token presented after its grace is refused like any other; the log says so (no
    revocation: see docs/sign-in.md)."""
    reused = session.execute(
        select(AuthSession.id).where(col(AuthSession.previous_refresh_hash) == given)
    ).scalar()
    if reused is not None:
        log.warning("session %s: a spent refresh token was presented after its grace", reused)


def live_session(connection: Session | Connection, access_hash: str, now: datetime):
    """(id, role, principal_id, method, access_expires_at) of a live access token, else None."""
    row = connection.execute(
        select(
            AuthSession.id,
            AuthSession.role,
            AuthSession.principal_id,
            AuthSession.method,
            AuthSession.access_expires_at,
            AuthSession.revoked_at,
        ).where(col(AuthSession.access_hash) == access_hash)
    ).first()
    if row is None or row.revoked_at is not None or row.access_expires_at <= now:
        return None
    return row


def revoke_session(*, session: Session, session_id: int, now: datetime) -> list[str]:
    """End one session; the access hashes it held (for the caller's cache)."""
    return _revoke(session, col(AuthSession.id) == session_id, now)


def revoke_sessions_of(
    *, session: Session, role: Role, principal_id: int, now: datetime, tokens_too: bool = False
) -> list[str]:
    """End every session of a principal (sign-out everywhere; with tokens_too, its API tokens
    as well: disabling an account). The access and token hashes revoked."""
    hashes = _revoke(
        session,
        (col(AuthSession.role) == role) & (col(AuthSession.principal_id) == principal_id),
        now,
    )
    if tokens_too:
        hashes += (
            session.execute(
                update(ApiToken)
                .where(
                    col(ApiToken.role) == role,
                    col(ApiToken.principal_id) == principal_id,
                    col(ApiToken.revoked_at).is_(None),
                )
                .values(revoked_at=now)
                .returning(ApiToken.token_hash)
            )
            .scalars()
            .all()
        )
    return hashes


def _revoke(session: Session, condition, now: datetime) -> list[str]:
    return list(
        session.execute(
            update(AuthSession)
            .where(condition, col(AuthSession.revoked_at).is_(None))
            .values(revoked_at=now)
            .returning(AuthSession.access_hash)
        )
        .scalars()
        .all()
    )


def _new_secrets() -> tuple[str, str]:
    return ACCESS_PREFIX + secrets.token_urlsafe(32), REFRESH_PREFIX + secrets.token_urlsafe(32)
