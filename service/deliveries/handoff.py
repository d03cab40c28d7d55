"""The courier's side with the goods: at the store, picked up, delivered (hand-off code), failed.

Each locks the store, the order and the delivery first (courier.own_locked), then moves the
delivery and the order with conditional updates; pick-up then sells the stock rows, deliver
frees the courier and may take the compensation campaign's budget (service/orders/locks.py).
"""

import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session, col

from service.deliveries import compensation
from service.deliveries.courier import own_locked
from service.deliveries.lifecycle import release_courier, transition
from service.deliveries.models import (
    ASSIGNED,
    AT_STORE,
    CARRYING,
    DELIVERED,
    FAILED,
    PICKED_UP,
    Delivery,
)
from service.errors import Conflict
from service.orders import states
from service.orders.lifecycle import line_quantities
from service.orders.models import Order
from service.orders.stock import sell

MAX_WRONG_CODES = 5


@dataclass(frozen=True)
class CodeRefused:
    """A wrong hand-off code: counted (committed), answered as an error."""

    code: str
    message: str
    wrong_codes: int
    locked: bool


def current(*, session: Session, courier_id: int) -> list[tuple[Delivery, Order]]:
    """The deliveries the courier carries now, with their orders."""
    query = (
        select(Delivery, Order)
        .join(Order, col(Order.id) == col(Delivery.order_id))
        .where(col(Delivery.courier_id) == courier_id, col(Delivery.status).in_(CARRYING))
        .order_by(col(Delivery.accepted_at))
    )
    return [tuple(row) for row in session.execute(query).all()]


def arrived(*, session: Session, courier_id: int, delivery_id: int, now: datetime) -> Delivery:
    """The courier is at the store; the store's feed says so."""
    delivery, order = own_locked(session, courier_id, delivery_id)
    transition(session, delivery, AT_STORE, expect=(ASSIGNED,), arrived_at=now)
    _courier_event(session, order, courier_id, now, "courier_arrived", {"courier_id": courier_id})
    return delivery


def picked_up(*, session: Session, courier_id: int, delivery_id: int, now: datetime) -> Delivery:
    """Only from a READY order: the goods are sold out of the store and its slot is freed."""
    delivery, order = own_locked(session, courier_id, delivery_id)
    if order.status == states.PICKED_UP and delivery.picked_up_at is not None:
        return _picked_up_again(session, delivery, order, courier_id, now)
    if order.status != states.READY:
        raise Conflict(
            f"the order is {order.status}, not READY yet",
            code="not_ready",
            field="status",
            details={"status": order.status},
        )
    transition(session, delivery, PICKED_UP, expect=(ASSIGNED, AT_STORE), picked_up_at=now)
    states.move(
        session, order, states.PICKED_UP, actor_role="courier", actor_id=courier_id, now=now
    )
    sell(session, order.store_id, line_quantities(session, order.id))
    return delivery


def _picked_up_again(
    session: Session, delivery: Delivery, order: Order, courier_id: int, now: datetime
) -> Delivery:
    # A re-delivery: the goods were sold at the first pickup; only the delivery moves.
    transition(session, delivery, PICKED_UP, expect=(ASSIGNED, AT_STORE), picked_up_at=now)
    _courier_event(session, order, courier_id, now, "picked_up", {"redelivery": True})
    return delivery


def delivered(
    *, session: Session, courier_id: int, delivery_id: int, code: str, now: datetime
) -> Delivery | CodeRefused:
    """Hand the goods over against the consumer's code; a wrong code is counted, 5 lock it."""
    delivery, order = own_locked(session, courier_id, delivery_id)
    if delivery.status != PICKED_UP:
        transition(session, delivery, DELIVERED, expect=(PICKED_UP,))  # raises the 409
    if delivery.locked:
        raise Conflict(
            "too many wrong codes: an operator must unlock this delivery",
            code="delivery_locked",
            details={"status": delivery.status},
        )
    if not hmac.compare_digest(code.encode(), order.handoff_code.encode()):
        return _count_wrong_code(session, delivery)
    transition(session, delivery, DELIVERED, expect=(PICKED_UP,), delivered_at=now, closed_at=now)
    states.move(
        session, order, states.DELIVERED, actor_role="courier", actor_id=courier_id, now=now
    )
    release_courier(session, courier_id)
    if now > order.promised_at:
        compensation.compensate(session=session, order=order, delivery=delivery, now=now)
    return delivery


def _count_wrong_code(session: Session, delivery: Delivery) -> CodeRefused:
    wrong = col(Delivery.wrong_codes) + 1
    row = session.execute(
        update(Delivery)
        .where(col(Delivery.id) == delivery.id)
        .values(wrong_codes=wrong, locked=wrong >= MAX_WRONG_CODES)
        .returning(col(Delivery.wrong_codes), col(Delivery.locked))
    ).one()
    session.refresh(delivery)
    if row.locked:
        message = (
            f"{row.wrong_codes} wrong codes: the delivery is locked until an operator unlocks it"
        )
        return CodeRefused("delivery_locked", message, row.wrong_codes, True)
    left = MAX_WRONG_CODES - row.wrong_codes
    return CodeRefused(
        "wrong_code", f"wrong hand-off code ({left} tries left)", row.wrong_codes, False
    )


def failed(
    *, session: Session, courier_id: int, delivery_id: int, reason: str, now: datetime
) -> Delivery:
    """The consumer could not be reached at the door: the order waits for an operator."""
    delivery, order = own_locked(session, courier_id, delivery_id)
    transition(session, delivery, FAILED, expect=(PICKED_UP,), fail_reason=reason, closed_at=now)
    release_courier(session, courier_id)
    _courier_event(session, order, courier_id, now, "delivery_failed", {"reason": reason})
    return delivery


def _courier_event(
    session: Session, order: Order, courier_id: int, now: datetime, kind: str, data: dict
) -> None:
    """An event on the order's timeline by its courier (no status change)."""
    states.record(
        session, order, kind=kind, actor_role="courier", actor_id=courier_id, now=now, data=data
    )
