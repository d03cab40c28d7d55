"""Store-tablet test helpers: a store token, a tablet store that has polled."""

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session

from service.auth.models import ApiToken
from service.stores.models import Store
from tests.support.factories import make_city, make_store


def store_token(session: Session, store_id: int, now: datetime, role: str = "store") -> str:
    """A bearer token for the store's tablet (or, with `role`, another principal's)."""
    token = f"hd_{secrets.token_urlsafe(32)}"
    session.execute(
        insert(ApiToken).values(
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            role=role,
            principal_id=store_id,
            label="tablet",
            created_at=now,
        )
    )
    return token


def tablet(now: datetime, **fields) -> dict:
    """make_store fields of a tablet store whose tablet polled at `now`."""
    return {"intake_mode": "tablet", "last_polled_at": now, **fields}


def busy_tablet_store(session: Session, now: datetime) -> tuple[Store, str]:
    """A tablet store in a new test city with room for 1,000 open orders and 1,000 BAK-0001
    at 48 yuan, and its tablet's token."""
    store = make_store(
        session,
        make_city(session),
        1.0,
        max_open_orders=1000,
        stock={"BAK-0001": (1000, 4800)},
        **tablet(now),
    )
    return store, store_token(session, store.id, now)
