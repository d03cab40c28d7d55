"""Store switches, each audited: busy (pause / resume), a SKU unavailable, the intake mode."""

from datetime import datetime, time, timedelta

from sqlalchemy import select, update
from sqlmodel import Session, col

from service.audit.service import changed_fields, record_audit
from service.catalog.models import Product, StoreStock
from service.cities.service import cached_city, city_zone
from service.errors import NotFound
from service.orders.locks import lock_store
from service.stores.models import Store
from service.tablet.schemas import IntakeIn, StoreStateRead

SWITCHED = ("intake_mode", "paused", "flagged_reason", "accept_timeout_s")


def store_state(session: Session, store: Store) -> StoreStateRead:
    """The store's switches and its tablet's last poll."""
    return StoreStateRead(**store.model_dump(include={"id", "name", "last_polled_at", *SWITCHED}))


def set_busy(*, session: Session, store_id: int, busy: bool, now: datetime) -> StoreStateRead:
    """Staff pause (busy) or resume taking orders; resuming also clears a deadline flag."""
    changes = {"paused": busy} if busy else {"paused": False, "flagged_reason": None}
    store = _switch(session, session.get(Store, store_id), changes, "store", store_id, now)
    return store_state(session, store)


def change_store(
    *, session: Session, store_id: int, change: IntakeIn, operator_id: int, now: datetime
) -> StoreStateRead:
    """An operator sets a store's intake mode, pause switch or acceptance deadline."""
    store = session.get(Store, store_id)
    if store is None:
        raise NotFound(f"no store {store_id}", field="store_id")
    changes = change.model_dump(exclude_none=True)
    if changes.get("paused") is False:
        changes["flagged_reason"] = None
    return store_state(session, _switch(session, store, changes, "operator", operator_id, now))


def pause_flagged(*, session: Session, store: Store, reason: str, now: datetime) -> None:
    """The deadline job pauses a store that keeps missing deadlines, and flags it."""
    _switch(session, store, {"paused": True, "flagged_reason": reason}, "system", None, now)


def _switch(session: Session, store: Store, changes: dict, role: str, actor_id, now) -> Store:
    old, new = changed_fields({k: getattr(store, k) for k in SWITCHED}, changes)
    if new:
        store.sqlmodel_update(new)
        session.flush()
        record_audit(
            session=session,
            at=now,
            actor_role=role,
            actor_id=actor_id,
            action="store.switch",
            target_type="store",
            target_id=store.id,
            city_id=store.city_id,
            old=old,
            new=new,
        )
    return store


def set_sku(*, session: Session, store_id: int, sku: str, unavailable: bool, now: datetime) -> dict:
    """Mark a SKU unavailable until the store's next day (or restock it now)."""
    row = session.execute(
        select(StoreStock)
        .join(Product, col(Product.id) == col(StoreStock.product_id))
        .where(col(StoreStock.store_id) == store_id, col(Product.sku) == sku)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"this store does not stock {sku}", field="sku")
    until = _next_day(session, row.city_id, now) if unavailable else None
    old = row.unavailable_until
    lock_store(session, store_id)  # before the stock row, as every path (migration 0012)
    session.execute(
        update(StoreStock).where(col(StoreStock.id) == row.id).values(unavailable_until=until)
    )
    record_audit(
        session=session,
        at=now,
        actor_role="store",
        actor_id=store_id,
        action="store.sku_unavailable" if unavailable else "store.sku_restocked",
        target_type="store",
        target_id=store_id,
        city_id=row.city_id,
        old={"sku": sku, "unavailable_until": old and old.isoformat()},
        new={"sku": sku, "unavailable_until": until and until.isoformat()},
    )
    return {"sku": sku, "unavailable_until": until and until.isoformat()}


def _next_day(session: Session, city_id: int, now: datetime) -> datetime:
    # Until the next city-local day starts: the store's next opening day, or earlier.
    zone = city_zone(cached_city(session, city_id))
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=zone)
