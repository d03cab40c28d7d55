"""Who marks an order READY: an auto_accept store's own system (through the store API) or,
failing that, the clock at accepted + the store's preparation minutes; a tablet store's staff,
watched by the operators once they are 10 minutes past the preparation time.
"""

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session, col

from service.orders import states
from service.orders.locks import lock_order
from service.orders.models import Order, OrderEvent
from service.stores.models import Store

SLOW_GRACE = timedelta(minutes=10)  # a tablet order not ready by prep + this is on the list


def _accepted(mode: str, city_id: int | None = None):
    """(order id, accepted at, prep minutes, store id, store name) of ACCEPTED orders at stores
    of `mode`: the accepted time is the order's one `accepted` event (re-matching moves only
    PLACED orders, so an ACCEPTED order was accepted once)."""
    query = (
        select(Order.id, func.max(OrderEvent.at), Store.prep_minutes, Store.id, Store.name)
        .join(Store, col(Store.id) == col(Order.store_id))
        .join(
            OrderEvent,
            (col(OrderEvent.order_id) == col(Order.id)) & (col(OrderEvent.kind) == "accepted"),
        )
        .where(col(Order.status) == states.ACCEPTED, col(Store.intake_mode) == mode)
        .group_by(col(Order.id), col(Store.prep_minutes), col(Store.id), col(Store.name))
        .order_by(col(Order.id))
    )
    return query if city_id is None else query.where(col(Order.city_id) == city_id)


def due_auto_ready(session: Session, now: datetime) -> list[int]:
    """ACCEPTED orders at auto_accept stores whose preparation time is up at `now`."""
    rows = session.execute(_accepted(states.AUTO_ACCEPT)).all()
    return [row[0] for row in rows if row[1] + timedelta(minutes=row[2]) <= now]


def auto_ready(*, session: Session, order_id: int, now: datetime) -> int:
    """READY by the clock, if its store's system has not said so already; returns 1 if moved."""
    order = lock_order(session, order_id)  # the store, then the order (service/orders/locks.py)
    if order.status != states.ACCEPTED:  # the store (or a cancel) moved it meanwhile
        return 0
    states.move(
        session,
        order,
        states.READY,
        actor_role="system",
        actor_id=None,
        now=now,
        data={"reason": "prep_time_elapsed"},
    )
    return 1


def slow_tablet_orders(*, session: Session, city_id: int | None, now: datetime) -> list[dict]:
    """Tablet stores' ACCEPTED orders not READY by accepted + prep + 10 minutes, oldest first."""
    items = []
    for order_id, accepted_at, prep, store_id, store_name in session.execute(
        _accepted(states.TABLET, city_id)
    ).all():
        ready_by = accepted_at + timedelta(minutes=prep)
        if ready_by + SLOW_GRACE <= now:
            items.append(
                {
                    "order_id": order_id,
                    "store_id": store_id,
                    "store_name": store_name,
                    "accepted_at": accepted_at,
                    "ready_by": ready_by,
                    "overdue_s": int((now - ready_by).total_seconds()),
                }
            )
    return items
