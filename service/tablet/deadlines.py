"""Acceptance deadlines: a PLACED order nobody accepted in time moves on as a reject would.

An order's clock at a store starts at its latest `placed` or `reassigned` event there, which
is when the order's updated_at was last set while PLACED (placement and re-match both set it).
"""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from service.errors import Conflict
from service.orders import states
from service.orders.lifecycle import rematch_order
from service.orders.locks import lock_order
from service.orders.models import Order, OrderEvent
from service.stores.models import Store
from service.tablet.switches import pause_flagged

STRIKES = 3  # missed deadlines within WINDOW pause the store
WINDOW = timedelta(minutes=30)
TIMEOUT_KINDS = ("reassigned_away", "rematch_failed")


def overdue_at_tablets(session: Session, now: datetime) -> list[int]:
    """PLACED orders at tablet stores whose deadline has passed at `now`, oldest first: one
    read for the scheduler's run, so only an overdue order gets a transaction of its own (a
    run used to open one for every waiting order, each second at 15x)."""
    rows = session.execute(
        select(Order.id, Order.updated_at, Store.accept_timeout_s)
        .join(Store, col(Store.id) == col(Order.store_id))
        .where(col(Order.status) == states.PLACED, col(Store.intake_mode) == states.TABLET)
        .order_by(col(Order.id))
    ).all()
    return [
        order_id
        for order_id, placed, timeout_s in rows
        if placed + timedelta(seconds=timeout_s) <= now
    ]


def time_out(*, session: Session, order_id: int, now: datetime) -> int:
    """Re-match one overdue order (if still overdue); pause and flag a store that keeps
    missing deadlines. Returns 1 if the order moved."""
    order = lock_order(session, order_id)  # the store, then the order: as staff accepting it
    store = session.get(Store, order.store_id)
    if (
        order.status != states.PLACED
        or order.updated_at + timedelta(seconds=store.accept_timeout_s) > now
    ):
        return 0  # accepted, or re-matched, since the list was read
    try:
        rematch_order(
            session=session,
            order=order,
            reason="timeout",
            actor_role="system",
            actor_id=None,
            now=now,
        )
    except Conflict:  # staff accepted it meanwhile
        return 0
    if not store.paused and _strikes(session, store.id, now) >= STRIKES:
        pause_flagged(session=session, store=store, reason="missed_deadlines", now=now)
    return 1


def _strikes(session: Session, store_id: int, now: datetime) -> int:
    # The store's recent events through the feed index; timeouts are few, so filter in Python.
    rows = session.execute(
        select(OrderEvent.kind, OrderEvent.data).where(
            col(OrderEvent.store_id) == store_id,
            col(OrderEvent.at) >= now - WINDOW,
            col(OrderEvent.kind).in_(TIMEOUT_KINDS),
        )
    ).all()
    return sum(1 for kind, data in rows if (data or {}).get("reason") == "timeout")
