"""Reading a store's feed of order events after a cursor, and the poll heartbeat.

Per store, event ids commit in increasing order on both engines (SQLite serialises writers;
on PostgreSQL every event takes its store's row lock before drawing its id, see
service.orders.states.record), so `id > cursor` never steps over a late commit.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, or_, select, update
from sqlmodel import Session

from service import caches
from service.cities.service import cached_city, zone_named
from service.db import lazy_commit
from service.errors import Unprocessable
from service.orders.models import OrderEvent
from service.stores.models import Store

PAGE = 100  # events per answer; `more` says when the tablet should ask again at once
HEARTBEAT_EVERY = timedelta(seconds=30)
# Core statements on the tables (no ORM entity in them): the session runs them straight on its
# connection, without the ORM's compile and loading steps (a quarter of an empty poll's CPU).
EVENTS, STORES = OrderEvent.__table__, Store.__table__
EVENT_COLUMNS = (
    EVENTS.c.id,
    EVENTS.c.order_id,
    EVENTS.c.store_id,
    EVENTS.c.city_id,
    EVENTS.c.kind,
    EVENTS.c.from_status,
    EVENTS.c.to_status,
    EVENTS.c.actor_role,
    EVENTS.c.data,
    EVENTS.c.at,
)
# The empty poll: one range probe of the (store_id, id) index.
AFTER = (
    select(*EVENT_COLUMNS)
    .where(
        EVENTS.c.store_id == bindparam("store"),
        EVENTS.c.id > bindparam("after"),
        # an order closed or cancelled before it was paid never reached the store
        or_(EVENTS.c.from_status.is_(None), EVENTS.c.from_status != "AWAITING_PAYMENT"),
    )
    .order_by(EVENTS.c.id)
    .limit(bindparam("page"))
)
HEAD = select(func.max(EVENTS.c.id)).where(EVENTS.c.store_id == bindparam("store"))
TOP = select(func.max(EVENTS.c.id))
TOUCH = (
    update(STORES)
    .where(
        STORES.c.id == bindparam("at_store"),
        or_(STORES.c.last_polled_at.is_(None), STORES.c.last_polled_at < bindparam("stale")),
    )
    .values(last_polled_at=bindparam("polled"))
)

# The highest event id this process has seen: a cursor at or below it cannot be from the
# future, which saves the empty poll a second lookup. Ids only grow, so it is never wrong.
_top_seen = caches.lru_cache(maxsize=1)
_store_city = caches.lru_cache(maxsize=100_000)
STORE_CITY = select(STORES.c.city_id).where(STORES.c.id == bindparam("store"))
# Stores whose heartbeat this process wrote within the last minute: their polls stay reads.
# A tablet polls every 15-20 s and the kernel spreads its polls over the workers, so with 30 s
# here nearly every poll found its store due in the worker it reached and ran a write (on
# SQLite behind the writer queue). With any number of workers a store's stored heartbeat is at
# most about a minute old, well inside the silence matching allows (HD_TABLET_SILENCE_S, 120 s).
_beat = caches.ttl_cache(maxsize=100_000, ttl=2 * HEARTBEAT_EVERY.total_seconds())


@dataclass
class FeedPage:
    events: list
    last_id: int
    more: bool


def read_feed(*, session: Session, store_id: int, after: int | None) -> FeedPage:
    """The store's events after event id `after`, oldest first (None: start at the head)."""
    if after is None:
        return FeedPage([], session.execute(HEAD, {"store": store_id}).scalar() or 0, False)
    rows = session.execute(AFTER, {"store": store_id, "after": after, "page": PAGE}).all()
    if rows:
        note_top(rows[-1].id)
        return FeedPage(rows, rows[-1].id, len(rows) == PAGE)
    if after > top_seen():
        top = session.execute(TOP).scalar() or 0
        note_top(top)
        if after > top:
            raise Unprocessable(
                "this cursor is ahead of the feed", code="invalid_cursor", field="after"
            )
    return FeedPage([], after, False)


def store_city(session: Session, store_id: int) -> int:
    """The store's city (a store never moves city), from a per-process cache."""
    load = lambda: session.execute(STORE_CITY, {"store": store_id}).scalar_one()  # noqa: E731
    return caches.get_or_load(_store_city, store_id, load)


def top_seen() -> int:
    with caches.locked(_top_seen):
        return _top_seen.get("top", 0)


def note_top(event_id: int) -> None:
    """Remember that event ids up to `event_id` exist."""
    if event_id > top_seen():
        with caches.locked(_top_seen):
            _top_seen["top"] = max(event_id, _top_seen.get("top", 0))


def heartbeat_due(store_id: int) -> bool:
    """Whether this process should try to record the store's poll (at most once in 30 s)."""
    with caches.locked(_beat):
        return store_id not in _beat


def record_poll(*, session: Session, store_id: int, now: datetime) -> int:
    """Record the store's poll if the stored one is more than 30 s old; rows written."""
    # A heartbeat is overwritten every 30 s: a database crash may lose the last one.
    lazy_commit(session)
    params = {"at_store": store_id, "stale": now - HEARTBEAT_EVERY, "polled": now}
    written = session.execute(TOUCH, params).rowcount
    with caches.locked(_beat):
        _beat[store_id] = True
    return written


def event_read(session: Session, row) -> dict:
    """One feed event as JSON, its time in the store's city zone."""
    zone = zone_named(cached_city(session, row.city_id).timezone)
    return {
        "id": row.id,
        "order_id": row.order_id,
        "store_id": row.store_id,
        "kind": row.kind,
        "from_status": row.from_status,
        "to_status": row.to_status,
        "actor_role": row.actor_role,
        "data": row.data,
        "at": row.at.astimezone(zone).isoformat(),
    }
