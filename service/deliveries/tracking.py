"""Tracking an order: timeline, store, courier, a live ETA and the late flag.

The owner (consumer token) sees everything, hand-off code and share token included. A share
token (the tracking link) shows no consumer data: no name, phone or address, and the home only
as a point rounded to about 100 m; the courier only while he carries the goods (picked up, not
yet delivered); it stops working 3 hours after the order is delivered or cancelled (410).
While no courier has taken the delivery there is no ETA: `looking_for_courier` says why.
ETA from the current state: before pickup the courier rides while the store packs, so
max(prep left, courier to store) + store to door; after pickup, courier to door.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from service.cities.service import cached_city, zone_named
from service.deliveries.courier import first_name
from service.deliveries.models import CLOSED, HELD, OFFERED, WAITING, Delivery
from service.errors import Gone, NotFound
from service.geo import rough_km
from service.orders import states
from service.orders.models import Order, OrderEvent
from service.people.models import Courier
from service.stores.models import Store

SHARE_LIFETIME = timedelta(hours=3)  # after the order is delivered or cancelled
SHARED_EVENT_DATA = frozenset({"courier_name", "reason", "late_s", "discount_fen"})


def by_share_token(session: Session, token: str, now: datetime) -> tuple[Order, Delivery]:
    """The order a tracking link names: 404 for no such link, 410 once it has expired."""
    query = select(Delivery).where(col(Delivery.share_token) == token)
    delivery = session.execute(query).scalar_one_or_none()
    if delivery is None:
        raise NotFound("There is no such tracking link.", code="share_unknown", field="share")
    order = session.get(Order, delivery.order_id)
    ended = _ended_at(order, delivery)
    if ended is not None and now >= ended + SHARE_LIFETIME:
        raise Gone(
            "This tracking link has expired: its order ended more than 3 hours ago.",
            code="share_expired",
            field="share",
            details={"status": order.status},
        )
    return order, delivery


def _ended_at(order: Order, delivery: Delivery) -> datetime | None:
    if order.status not in (states.DELIVERED, states.CANCELLED):
        return None
    return delivery.delivered_at or delivery.closed_at or order.updated_at


def tracking(
    *, session: Session, order: Order, delivery: Delivery | None, owner: bool, now: datetime
) -> dict[str, Any]:
    """Everything the tracking page shows, city-local times."""
    zone = zone_named(cached_city(session, order.city_id).timezone)
    store = session.get(Store, order.store_id)
    courier = _courier(session, delivery)
    looking = looking_for_courier(order, delivery)
    eta = None if looking else live_eta(session, order, delivery, store, courier, now)
    local = lambda t: t and t.astimezone(zone)  # noqa: E731
    body = {
        "order_id": order.id,
        "status": order.status,
        "delivery_status": delivery.status if delivery else None,
        "store": {
            "id": store.id,
            "name": store.name,
            "address": store.address,
            "lat": store.lat,
            "lon": store.lon,
        },
        "courier": _courier_view(courier, now, owner or order.status == states.PICKED_UP),
        "looking_for_courier": looking,
        "home": _home(order, owner),
        "placed_at": local(order.placed_at),
        "promised_at": local(order.promised_at),
        "eta_at": local(eta),
        "eta_s": max(0, int((eta - now).total_seconds())) if eta else None,
        "late": bool(eta and eta > order.promised_at),
        "timeline": _timeline(session, order.id, owner, zone),
    }
    if owner:
        body["handoff_code"] = order.handoff_code
        body["share_token"] = delivery.share_token if delivery else None
    return body


def looking_for_courier(order: Order, delivery: Delivery | None) -> bool:
    """Whether the order waits for a courier to take it (no ETA can be promised meanwhile)."""
    return (
        delivery is not None
        and delivery.status in (WAITING, OFFERED)
        and order.status in (states.ACCEPTED, states.READY, states.PICKED_UP)
    )


def _courier_view(courier: Courier | None, now: datetime, shown: bool) -> dict[str, Any] | None:
    if courier is None or not shown:
        return None
    seen = courier.last_seen_at
    return {
        "name": first_name(courier.name),
        "lat": courier.last_lat,
        "lon": courier.last_lon,
        "position_age_s": int((now - seen).total_seconds()) if seen else None,
    }


def _home(order: Order, owner: bool) -> dict[str, Any]:
    if owner:
        return {"lat": order.lat, "lon": order.lon, "address": order.address}
    # 0.001 degree of latitude is 111 m; of longitude at 30-40 degrees north, 85-96 m.
    return {"lat": round(order.lat, 3), "lon": round(order.lon, 3)}


def _courier(session: Session, delivery: Delivery | None) -> Courier | None:
    if delivery is None or delivery.courier_id is None or delivery.status == OFFERED:
        return None
    return session.get(Courier, delivery.courier_id)


def _timeline(session: Session, order_id: int, owner: bool, zone) -> list[dict[str, Any]]:
    query = select(OrderEvent).where(col(OrderEvent.order_id) == order_id).order_by(OrderEvent.id)
    return [
        {
            "kind": e.kind,
            "status": e.to_status,
            "at": e.at.astimezone(zone),
            "data": e.data
            if owner
            else {k: v for k, v in e.data.items() if k in SHARED_EVENT_DATA},
        }
        for e in session.execute(query).scalars()
    ]


def live_eta(
    session: Session,
    order: Order,
    delivery: Delivery | None,
    store: Store,
    courier: Courier | None,
    now: datetime,
) -> datetime | None:
    """When the goods should reach the door, from where everything is now; None if never."""
    if order.status == states.DELIVERED:
        return delivery.delivered_at if delivery else order.updated_at
    if order.status == states.CANCELLED or (delivery and delivery.status in CLOSED):
        return None
    speed = cached_city(session, order.city_id).courier_speed_kmh
    ride = lambda a, b: timedelta(hours=rough_km(a, b) / speed)  # noqa: E731
    home, shop = (order.lat, order.lon), (store.lat, store.lon)
    at = (courier.last_lat, courier.last_lon) if courier and courier.last_lat is not None else None
    if order.status == states.PICKED_UP:
        return now + ride(at or shop, home)
    prep_left = timedelta(0)
    if order.status != states.READY:
        prep_left = max(timedelta(0), order.placed_at + timedelta(minutes=store.prep_minutes) - now)
    to_store = ride(at, shop) if at and delivery and delivery.status in HELD else timedelta(0)
    return now + max(prep_left, to_store) + ride(shop, home)
