"""Sessions: a short-lived access token and a rotating refresh token, both stored as hashes.

Access tokens live ACCESS_TTL; the pages refresh them silently. A refresh rotates both tokens
(the old refresh token is spent). Revocation and disabling take effect at once in the
revoking process and within service.auth.service.CALLER_TTL_S in every other worker.
"""

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
    """New access and refresh tokens for a live session; the refresh token given is spent."""
    access, refresh = _new_secrets()
    row = session.execute(
        update(AuthSession)
        .where(
            col(AuthSession.refresh_hash) == _hash(refresh_token or ""),
            col(AuthSession.revoked_at).is_(None),
            col(AuthSession.refresh_expires_at) > now,
        )
        .values(
            access_hash=_hash(access),
            refresh_hash=_hash(refresh),
            refreshed_at=now,
            access_expires_at=now + ACCESS_TTL,
        )
        .returning(AuthSession.id, AuthSession.role, AuthSession.principal_id, AuthSession.method)
    ).first()
    if row is None:
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
