"""Building delivery read models, times in the city's own zone."""

from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from service.auth.phones import mask_phone
from service.cities.service import cached_city, zone_named
from service.deliveries.models import ASSIGNED, AT_STORE, OFFERED, PICKED_UP, Delivery
from service.deliveries.schemas import DeliveryRead, LateOrderRead, OpsDeliveryRead, PlaceRef
from service.orders.models import Order, OrderLine
from service.orders.numbers import number_text
from service.people.models import Consumer
from service.stores.models import Store


def delivery_read(
    session: Session, delivery: Delivery, now: datetime, order: Order | None = None
) -> DeliveryRead:
    """The delivery as its courier sees it."""
    order = order or session.get(Order, delivery.order_id)
    store = session.get(Store, order.store_id)
    zone = zone_named(cached_city(session, order.city_id).timezone)
    items = session.execute(
        select(func.coalesce(func.sum(OrderLine.qty), 0)).where(col(OrderLine.order_id) == order.id)
    ).scalar_one()
    expires = delivery.offer_expires_at
    return DeliveryRead(
        id=delivery.id,
        order_id=order.id,
        status=delivery.status,
        order_status=order.status,
        order_number=number_text(order),
        items_count=items,
        store=PlaceRef(name=store.name, address=store.address, lat=store.lat, lon=store.lon),
        drop_off=_drop_off(session, delivery, order),
        offer_expires_at=expires.astimezone(zone) if expires else None,
        offer_seconds_left=max(0, int((expires - now).total_seconds())) if expires else None,
        wrong_codes=delivery.wrong_codes,
        locked=delivery.locked,
    )


def _drop_off(session: Session, delivery: Delivery, order: Order) -> PlaceRef:
    # Privacy (issue 23): the consumer's address and masked number only while the delivery is
    # the courier's current one; an offer shows the point, an ended delivery neither.
    current = delivery.status in (ASSIGNED, AT_STORE, PICKED_UP)
    phone = session.get(Consumer, order.consumer_id).phone if current else None
    address = order.address if current else ("接单后显示" if delivery.status == OFFERED else "")
    return PlaceRef(
        name="顾客", address=address, lat=order.lat, lon=order.lon, phone=mask_phone(phone)
    )


def ops_delivery_read(session: Session, delivery: Delivery, order: Order) -> OpsDeliveryRead:
    """The delivery as an operator's queue shows it."""
    zone = zone_named(cached_city(session, order.city_id).timezone)
    return OpsDeliveryRead(
        **delivery.model_dump(
            include={
                "id",
                "order_id",
                "city_id",
                "status",
                "courier_id",
                "fail_reason",
                "wrong_codes",
                "locked",
            }
        ),
        order_status=order.status,
        promised_at=order.promised_at.astimezone(zone),
    )


def late_order_read(session: Session, order: Order, now: datetime) -> LateOrderRead:
    """A late, undelivered order as the operators' list shows it."""
    zone = zone_named(cached_city(session, order.city_id).timezone)
    return LateOrderRead(
        **order.model_dump(include={"id", "city_id", "store_id", "status"}),
        placed_at=order.placed_at.astimezone(zone),
        promised_at=order.promised_at.astimezone(zone),
        late_minutes=int((now - order.promised_at).total_seconds() // 60),
    )
