"""The operators' watch lists: deliveries no courier took within 10 minutes, and tablet orders
accepted but not ready 10 minutes past the store's preparation time."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from service.deliveries.models import OFFERED, WAITING, Delivery
from service.orders import states
from service.orders.models import Order
from service.orders.readiness import slow_tablet_orders
from service.people.models import Operator
from service.stores.models import Store

UNASSIGNED_AFTER = timedelta(minutes=10)
LIMIT = 500


def unassigned(
    *, session: Session, operator: Operator, now: datetime, city_id: int | None = None
) -> list[dict]:
    """Deliveries of live orders still without a courier 10 minutes after they began needing
    one, longest waiting first (the operator's city; a platform operator: all, or `city_id`)."""
    query = (
        select(
            Delivery.id,
            Delivery.order_id,
            Delivery.status,
            Delivery.seeking_since,
            Delivery.city_id,
            Store.id,
            Store.name,
            Order.status,
        )
        .join(Order, col(Order.id) == col(Delivery.order_id))
        .join(Store, col(Store.id) == col(Order.store_id))
        .where(
            col(Delivery.status).in_((WAITING, OFFERED)),
            col(Order.status).in_((states.ACCEPTED, states.READY, states.PICKED_UP)),
            col(Delivery.seeking_since) <= now - UNASSIGNED_AFTER,
        )
        .order_by(col(Delivery.seeking_since), col(Delivery.id))
        .limit(LIMIT)
    )
    city_id = operator.city_id or city_id
    if city_id is not None:
        query = query.where(col(Delivery.city_id) == city_id)
    return [
        {
            "delivery_id": row[0],
            "order_id": row[1],
            "delivery_status": row[2],
            "waiting_since": row[3],
            "waiting_s": int((now - row[3]).total_seconds()),
            "city_id": row[4],
            "store_id": row[5],
            "store_name": row[6],
            "order_status": row[7],
        }
        for row in session.execute(query).all()
    ]


def slow_stores(
    *, session: Session, operator: Operator, now: datetime, city_id: int | None = None
) -> list[dict]:
    """Tablet orders accepted and not ready by the store's preparation time + 10 minutes (the
    operator's city; a platform operator: all, or `city_id`)."""
    city_id = operator.city_id or city_id
    return slow_tablet_orders(session=session, city_id=city_id, now=now)[:LIMIT]
