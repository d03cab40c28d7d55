"""Issuing and checking API tokens."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, select
from sqlmodel import Session

from service import caches
from service.auth.models import ApiToken, MeRead, Role
from service.auth.sessions import ACCESS_PREFIX, live_session
from service.errors import InvalidInput, Unauthenticated
from service.people.models import Consumer, Courier, Operator
from service.stores.models import Store

TOKEN_PREFIX = "hd_"
# Live tokens this process has checked, by hash, for the caller TTL (CALLER_TTL_S unless the
# app's settings say otherwise: HD_CALLER_TTL_S): a tablet re-polls every few seconds and a
# courier sends his position every 5, and each would otherwise read the token row first.
# Unknown and revoked tokens are never cached (a new token works at once). The price: a token
# revoked in the database keeps working for up to the TTL on a worker that used it just before
# (revoke_token drops it at once in its own process).
CALLER_TTL_S = 30.0
CALLERS_MAX = 50_000
_callers = caches.ttl_cache(maxsize=CALLERS_MAX, ttl=CALLER_TTL_S)
# Every authenticated request runs this: built once, it only binds the hash.
# Core on the table: no ORM compile or loading step.
TOKENS = ApiToken.__table__
TOKEN_BY_HASH = select(
    TOKENS.c.id, TOKENS.c.role, TOKENS.c.principal_id, TOKENS.c.label, TOKENS.c.revoked_at
).where(TOKENS.c.token_hash == bindparam("token_hash"))


@dataclass(frozen=True)
class Caller:
    """Who an authenticated request speaks for."""

    token_id: int
    role: Role
    principal_id: int
    label: str
    # "token" for API tokens; for sessions how the person signed in: sms, password_totp, pairing.
    method: str = "token"
    session_id: int | None = None
    expires_at: datetime | None = None


PRINCIPALS = {
    Role.CONSUMER: Consumer,
    Role.STORE: Store,
    Role.COURIER: Courier,
    Role.OPERATOR: Operator,
}


def configure(*, caller_ttl_s: float) -> None:
    """Cache live callers for `caller_ttl_s` in this process (create_app, from the settings)."""
    global _callers
    if _callers.ttl != caller_ttl_s:
        _callers = caches.replace(_callers, caches.ttl_cache(maxsize=CALLERS_MAX, ttl=caller_ttl_s))


def caller_ttl_s() -> float:
    """How long this process trusts a live token or session it has checked."""
    return _callers.ttl


def hash_token(secret: str) -> str:
    """SHA-256 hex of a token: what the database keeps instead of the token."""
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(
    *, session: Session, role: Role, principal_id: int, now: datetime, label: str = ""
) -> tuple[ApiToken, str]:
    """Create a token for an existing principal; returns the row and the secret (shown once)."""
    role = Role(role)
    if session.get(PRINCIPALS[role], principal_id) is None:
        raise InvalidInput(f"no {role} with id {principal_id}", field="principal_id")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        token_hash=hash_token(secret),
        role=role,
        principal_id=principal_id,
        label=label[:64],
        created_at=now,
    )
    session.add(token)
    session.flush()
    return token, secret


def authenticate(*, session: Session, secret: str | None, now: datetime | None = None) -> Caller:
    """The live token or session for `secret` (from this process's cache while fresh), or
    Unauthenticated."""
    if not secret:
        raise Unauthenticated("send Authorization: Bearer <token>", field="Authorization")
    token_hash = hash_token(secret)
    if secret.startswith(ACCESS_PREFIX):
        return _session_caller(session, token_hash, now or datetime.now(UTC))

    def load() -> Caller:  # raises for unknown and revoked tokens, so those are never cached
        token = session.execute(TOKEN_BY_HASH, {"token_hash": token_hash}).first()
        if token is None or token.revoked_at is not None:
            raise Unauthenticated("the token is unknown or revoked", field="Authorization")
        return Caller(token.id, Role(token.role), token.principal_id, token.label)

    return caches.get_or_load(_callers, token_hash, load)


def _session_caller(session: Session, token_hash: str, now: datetime) -> Caller:
    def load() -> Caller:
        row = live_session(session, token_hash, now)
        if row is None:
            raise Unauthenticated("the session is unknown, expired or ended", field="Authorization")
        return Caller(
            row.id, Role(row.role), row.principal_id, "", row.method, row.id, row.access_expires_at
        )

    found = caches.get_or_load(_callers, token_hash, load)
    if found.expires_at <= now:  # a cached session still expires on time
        caches.forget(_callers, token_hash)
        raise Unauthenticated(
            "the access token expired; refresh it", code="token_expired", field="Authorization"
        )
    return found


def forget_callers(token_hashes: list[str]) -> None:
    """Drop revoked tokens and sessions from this process's cache (the others age out)."""
    for token_hash in token_hashes:
        caches.forget(_callers, token_hash)


def revoke_token(*, session: Session, token_id: int, now: datetime) -> bool:
    """Revoke a token: refused at once by this process, by the others within the caller TTL."""
    token = session.get(ApiToken, token_id)
    if token is None or token.revoked_at is not None:
        return False
    token.revoked_at = now
    session.flush()
    caches.forget(_callers, token.token_hash)
    return True


def describe_caller(*, session: Session, token: Caller) -> MeRead:
    """Who a token speaks for: role, principal, name and city."""
    principal = session.get(PRINCIPALS[Role(token.role)], token.principal_id)
    if principal is None:
        raise Unauthenticated("the token's principal no longer exists", field="Authorization")
    city_id = getattr(principal, "city_id", None) or getattr(principal, "home_city_id", None)
    return MeRead(
        role=Role(token.role),
        principal_id=token.principal_id,
        name=principal.name,
        city_id=city_id,
        token_label=token.label,
        phone=getattr(principal, "phone", None),
        phone_verified=getattr(principal, "phone_verified_at", None) is not None,
        signed_in_by=token.method,
    )
