"""A delivery's life alongside its order: opened at acceptance, closed by a cancel.

`lock_delivery` is how a courier's or an operator's action takes its rows: the store, the
order, then the delivery (the lock order of service/orders/locks.py), the same order a
consumer's cancel takes them in.
"""

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlmodel import Session, col

from service.deliveries.models import CANCELLED, HELD, WAITING, Delivery
from service.errors import Conflict, NotFound
from service.orders.locks import lock_order
from service.orders.models import Order
from service.people.models import Courier

RELEASE_COURIER = (
    update(Courier)
    .where(col(Courier.id) == bindparam("of_courier"), col(Courier.held) > 0)
    .values(held=col(Courier.held) - 1)
)


ORDER_OF = select(Delivery.order_id).where(col(Delivery.id) == bindparam("of_delivery"))


def lock_delivery(session: Session, delivery_id: int) -> tuple[Delivery, Order]:
    """The delivery and its order, re-read under their locks (store, order, delivery); 404
    when there is no such delivery."""
    order_id = session.connection().execute(ORDER_OF, {"of_delivery": delivery_id}).scalar()
    if order_id is None:
        raise NotFound(f"no delivery {delivery_id}", field="delivery_id")
    order = lock_order(session, order_id)
    delivery = session.execute(
        select(Delivery)
        .where(col(Delivery.id) == delivery_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).scalar_one()
    return delivery, order


def open_delivery(session: Session, order: Order, now: datetime) -> None:
    """The order's delivery, waiting for a courier, with its tracking link's token."""
    session.execute(
        insert(Delivery).values(
            order_id=order.id,
            city_id=order.city_id,
            store_id=order.store_id,
            status=WAITING,
            share_token=secrets.token_urlsafe(32),
            passed_courier_ids=[],
            lapsed_courier_ids=[],
            created_at=now,
            seeking_since=now,
        )
    )


def cancel_delivery(session: Session, order_id: int, now: datetime) -> None:
    """Cancel the order's delivery (if any); its courier is free at once."""
    row = session.execute(
        update(Delivery)
        .where(col(Delivery.order_id) == order_id, col(Delivery.status).in_((WAITING, *HELD)))
        .values(status=CANCELLED, closed_at=now)
        .returning(col(Delivery.courier_id), col(Delivery.status))
    ).first()
    if row is not None and row.courier_id is not None:
        release_courier(session, row.courier_id)


def release_courier(session: Session, courier_id: int) -> None:
    """One delivery fewer held by the courier."""
    session.connection().execute(RELEASE_COURIER, {"of_courier": courier_id})


def transition(
    session: Session, delivery: Delivery, to: str, *, expect: tuple[str, ...], **values: Any
) -> None:
    """Move the delivery to `to` only if it is still in one of `expect`; 409 otherwise."""
    if delivery.status not in expect:
        raise state_conflict(delivery, to)
    moved = session.execute(
        update(Delivery)
        .where(col(Delivery.id) == delivery.id, col(Delivery.status) == delivery.status)
        .values(status=to, **values)
    ).rowcount
    if moved != 1:
        session.refresh(delivery)
        raise state_conflict(delivery, to)
    for name, value in {"status": to, **values}.items():
        setattr(delivery, name, value)


def state_conflict(delivery: Delivery, to: str) -> Conflict:
    """409 naming the state the delivery is in."""
    return Conflict(
        f"a delivery that is {delivery.status} cannot become {to}",
        code="invalid_transition",
        field="status",
        details={"status": delivery.status},
    )


def delivery_of(session: Session, order_id: int) -> Delivery | None:
    """The order's delivery, if the store has accepted it."""
    query = select(Delivery).where(col(Delivery.order_id) == order_id)
    return session.execute(query).scalar_one_or_none()
