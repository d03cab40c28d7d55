"""The order state machine, in one place: legal transitions and how one is recorded."""

from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, col

from service.errors import Conflict
from service.orders.models import Order, OrderEvent

PLACED, ACCEPTED, READY = "PLACED", "ACCEPTED", "READY"
PICKED_UP, DELIVERED, CANCELLED = "PICKED_UP", "DELIVERED", "CANCELLED"

TRANSITIONS = {
    PLACED: {ACCEPTED, CANCELLED},
    ACCEPTED: {READY, CANCELLED},
    READY: {PICKED_UP, CANCELLED},
    PICKED_UP: {DELIVERED, CANCELLED},  # CANCELLED: an operator refunds a failed delivery
    DELIVERED: set(),
    CANCELLED: set(),
}
LIVE = frozenset({PLACED, ACCEPTED, READY, PICKED_UP, DELIVERED})
CANCELLABLE = frozenset({PLACED, ACCEPTED, READY})  # by the consumer; the goods not yet out


def move(session: Session, order: Order, to: str, *, actor_role: str, actor_id: int | None,
         now: datetime, data: dict[str, Any] | None = None) -> None:  # fmt: skip
    """Move `order` to `to` if legal and still in the status we read; 409 otherwise."""
    if to not in TRANSITIONS[order.status]:
        raise Conflict(f"an order that is {order.status} cannot become {to}",
                       code="invalid_transition", field="status")  # fmt: skip
    moved = session.execute(
        update(Order).where(col(Order.id) == order.id, col(Order.status) == order.status)
        .values(status=to, updated_at=now)
    ).rowcount  # fmt: skip
    if moved != 1:  # someone else moved it first (a store accepting while the consumer cancels)
        raise Conflict("the order changed meanwhile; reload it", code="invalid_transition")
    record(session, order, kind=to.lower(), from_status=order.status, to_status=to,
           actor_role=actor_role, actor_id=actor_id, now=now, data=data)  # fmt: skip
    order.status = to
    _follow_delivery(session, order, to, now)


def _follow_delivery(session: Session, order: Order, to: str, now: datetime) -> None:
    # Accepted: a courier must be found at once; cancelled: the courier is freed at once.
    from service.deliveries import lifecycle  # the deliveries domain builds on orders

    if to == ACCEPTED:
        lifecycle.open_delivery(session, order, now)
    elif to == CANCELLED:
        lifecycle.cancel_delivery(session, order.id, now)


def record(session: Session, order: Order, *, kind: str, actor_role: str, actor_id: int | None,
           now: datetime, from_status: str | None = None, to_status: str | None = None,
           data: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """Append an event to the order's timeline (and its store's feed); returns its values."""
    event = {
        "order_id": order.id, "city_id": order.city_id, "store_id": order.store_id,
        "kind": kind, "from_status": from_status, "to_status": to_status,
        "actor_role": actor_role, "actor_id": actor_id, "data": data or {}, "at": now,
    }  # fmt: skip
    session.execute(insert(OrderEvent).values(**event))
    return event
