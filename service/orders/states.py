"""The order state machine, in one place: legal transitions and how one is recorded."""

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlmodel import Session, col

from service.errors import Conflict
from service.orders.locks import lock_store
from service.orders.models import Order, OrderEvent

AWAITING_PAYMENT = "AWAITING_PAYMENT"  # created, stock and coupon held; no store sees it yet
PLACED, ACCEPTED, READY = "PLACED", "ACCEPTED", "READY"
PICKED_UP, DELIVERED, CANCELLED = "PICKED_UP", "DELIVERED", "CANCELLED"
# A store's intake mode: staff accept on a tablet, or every order is ACCEPTED at once.
TABLET, AUTO_ACCEPT = "tablet", "auto_accept"
INTAKE_MODES = (TABLET, AUTO_ACCEPT)

TRANSITIONS = {
    AWAITING_PAYMENT: {PLACED, CANCELLED},  # paid; cancelled by the consumer or closed unpaid
    PLACED: {ACCEPTED, CANCELLED},
    ACCEPTED: {READY, CANCELLED},
    READY: {PICKED_UP, CANCELLED},
    PICKED_UP: {DELIVERED, CANCELLED},  # CANCELLED: an operator refunds a failed delivery
    DELIVERED: set(),
    CANCELLED: set(),
}
LIVE = frozenset({PLACED, ACCEPTED, READY, PICKED_UP, DELIVERED})
# by the consumer; the goods not yet out
CANCELLABLE = frozenset({AWAITING_PAYMENT, PLACED, ACCEPTED, READY})


def move(
    session: Session,
    order: Order,
    to: str,
    *,
    actor_role: str,
    actor_id: int | None,
    now: datetime,
    data: dict[str, Any] | None = None,
) -> None:
    """Move `order` to `to` if legal and still in the status we read; 409 otherwise."""
    before = order.status  # the ORM UPDATE below sets order.status to `to` in the session
    if to not in TRANSITIONS[before]:
        raise Conflict(
            f"an order that is {before} cannot become {to}",
            code="invalid_transition",
            field="status",
            details={"status": before},
        )
    moved = session.execute(
        update(Order)
        .where(col(Order.id) == order.id, col(Order.status) == before)
        .values(status=to, updated_at=now)
    ).rowcount
    if moved != 1:  # a caller that did not lock the order first (see service/orders/locks.py)
        now_status = session.execute(select(Order.status).where(col(Order.id) == order.id))
        raise Conflict(
            "the order changed meanwhile; reload it",
            code="invalid_transition",
            details={"status": now_status.scalar()},
        )
    record(
        session,
        order,
        kind=to.lower(),
        from_status=before,
        to_status=to,
        actor_role=actor_role,
        actor_id=actor_id,
        now=now,
        data=data,
    )
    order.status = to
    follow_delivery(session, order, to, now)


def follow_delivery(session: Session, order: Order, to: str, now: datetime) -> None:
    """Open the order's delivery when it is accepted; cancel it (freeing its courier) on cancel."""
    # Accepted: a courier must be found at once; cancelled: the courier is freed at once.
    from service.deliveries import lifecycle  # the deliveries domain builds on orders

    if to == ACCEPTED:
        lifecycle.open_delivery(session, order, now)
    elif to == CANCELLED:
        lifecycle.cancel_delivery(session, order.id, now)


# The store tablet's feed reads events by (store_id, id) after a cursor. PostgreSQL hands out
# ids before commit, so two writers could commit ids 11 then 10 and a poll between them would
# step over 10. Holding the store row locked from before the id is drawn until commit makes each
# store's ids commit in order (SQLite writers are serialised anyway; FOR UPDATE is a no-op there):
# `record` takes the store row lock (service.orders.locks.lock_store) unless the caller holds it.
# Wakes the store's parked polls (service.tablet.waiting listens on its channel).
NOTIFY = text("SELECT pg_notify(:channel, '')")


def record(
    session: Session,
    order: Order,
    *,
    kind: str,
    actor_role: str,
    actor_id: int | None,
    now: datetime,
    from_status: str | None = None,
    to_status: str | None = None,
    data: dict[str, Any] | None = None,
    store_locked: bool = False,
) -> dict[str, Any]:
    """Append an event to the order's timeline (and its store's feed); returns its values.

    store_locked: the caller already holds the store row (placement took its order slot).
    """
    if not store_locked:
        lock_store(session, order.store_id)
    event = {
        "order_id": order.id,
        "city_id": order.city_id,
        "store_id": order.store_id,
        "kind": kind,
        "from_status": from_status,
        "to_status": to_status,
        "actor_role": actor_role,
        "actor_id": actor_id,
        "data": data or {},
        "at": now,
    }
    session.execute(insert(OrderEvent).values(**event))
    if session.get_bind().dialect.name == "postgresql":  # delivered at commit, if it commits
        session.execute(NOTIFY, {"channel": f"feed_{order.store_id}"})
    return event
