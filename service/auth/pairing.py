"""Pairing a store's tablet: an operator (or the store's manager) issues a code, the tablet
enters it once and holds a device session for that store.

Codes: 10 characters from a 31-letter alphabet without look-alikes (about 49 bits), shown as
XXXXX-XXXXX, valid PAIRING_TTL, single-use (one conditional UPDATE), kept as a SHA-256. Tries
are limited per address and overall (service.auth.limits), so guessing is hopeless.
"""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session, col

from service.auth.models import AuthSession, PairingCode, Role
from service.auth.service import Caller, hash_token
from service.auth.sessions import SessionTokens, issue_session, revoke_session
from service.errors import NotFound, PermissionDenied, Unauthenticated
from service.people.models import Operator
from service.stores.models import Store

PAIRING_TTL = timedelta(minutes=10)
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"[:31]
LENGTH = 10


def issue_pairing_code(
    *, session: Session, store_id: int, issued_by: tuple[str, int], now: datetime
) -> tuple[str, datetime]:
    """A new pairing code for the store (shown once) and when it expires."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    row = PairingCode(
        code_hash=_hash(code),
        store_id=store_id,
        issued_by_role=issued_by[0],
        issued_by_id=issued_by[1],
        created_at=now,
        expires_at=now + PAIRING_TTL,
    )
    session.add(row)
    session.flush()
    return f"{code[:5]}-{code[5:]}", row.expires_at


def manager_pairing(*, session: Session, token: Caller, now: datetime) -> tuple[str, datetime]:
    """A pairing code issued by the store's manager account: a store API token; a paired
    tablet's own session may not pair more tablets (403)."""
    if token.role != Role.STORE or token.method != "token":
        raise PermissionDenied(
            "only the store's manager account issues pairing codes", code="forbidden"
        )
    return issue_pairing_code(
        session=session,
        store_id=token.principal_id,
        issued_by=("store", token.principal_id),
        now=now,
    )


def pair_device(*, session: Session, code: str, device_name: str, now: datetime) -> SessionTokens:
    """Spend a pairing code: a device session for its store; Unauthenticated if it is not live."""
    found = session.execute(
        update(PairingCode)
        .where(
            col(PairingCode.code_hash) == _hash(code),
            col(PairingCode.used_at).is_(None),
            col(PairingCode.expires_at) > now,
        )
        .values(used_at=now)
        .returning(PairingCode.id, PairingCode.store_id)
    ).first()
    if found is None:
        raise Unauthenticated(
            "the pairing code is wrong, used or expired", code="pairing_refused", field="code"
        )
    tokens = issue_session(
        session=session,
        role=Role.STORE,
        principal_id=found.store_id,
        method="pairing",
        now=now,
        label=device_name or "平板",
    )
    session.execute(
        update(PairingCode)
        .where(col(PairingCode.id) == found.id)
        .values(session_id=tokens.session_id)
    )
    return tokens


def store_devices(*, session: Session, store_id: int) -> list[AuthSession]:
    """The store's paired devices whose sessions are live, newest first."""
    return list(
        session.execute(
            select(AuthSession)
            .where(
                col(AuthSession.role) == Role.STORE,
                col(AuthSession.principal_id) == store_id,
                col(AuthSession.method) == "pairing",
                col(AuthSession.revoked_at).is_(None),
            )
            .order_by(col(AuthSession.id).desc())
        ).scalars()
    )


def revoke_device(*, session: Session, store_id: int, session_id: int, now: datetime) -> list[str]:
    """End one of the store's device sessions (404 for another store's); the hashes ended."""
    row = session.get(AuthSession, session_id)
    if row is None or row.role != Role.STORE or row.principal_id != store_id:
        raise NotFound("no such device for this store")
    return revoke_session(session=session, session_id=session_id, now=now)


def _hash(code: str) -> str:
    return hash_token("pair:" + "".join(ch for ch in (code or "").upper() if ch.isalnum()))


def operator_store(*, session: Session, actor: Operator, store_id: int) -> Store:
    """The store if the operator manages it (platform: any; city: his city's), else 404."""
    store = session.get(Store, store_id)
    if store is None or (actor.city_id is not None and store.city_id != actor.city_id):
        raise NotFound("no such store")
    return store
