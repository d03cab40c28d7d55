"""What the console shows: campaigns with their bars, the store map, lists needing an operator."""

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session, col

from service.campaigns.models import Batch, Campaign
from service.cities.models import City
from service.cities.service import zone_of
from service.deliveries.models import Delivery
from service.errors import NotFound
from service.orders import states
from service.orders.models import Order, OrderEvent
from service.people.models import Operator
from service.reports.city import store_map
from service.stores.models import Store

LIST_LIMIT = 20
TIMEOUT_WINDOW = timedelta(days=7)  # stores flagged for timeouts over the last week


def campaigns_overview(*, session: Session, operator: Operator) -> list[dict]:
    """The operator's campaigns with their city (null: national) and issuer, and the claim
    (packs vs quota) and budget (issued vs budget) bars."""
    packs = (
        select(
            col(Batch.campaign_id),
            func.sum(col(Batch.packs_claimed)).label("claimed"),
            func.sum(col(Batch.pack_quota)).label("quota"),
        )
        .group_by(col(Batch.campaign_id))
        .subquery()
    )
    query = (
        select(Campaign, packs.c.claimed, packs.c.quota, City.code, City.name)
        .outerjoin(packs, packs.c.campaign_id == col(Campaign.id))
        .outerjoin(City, col(City.id) == col(Campaign.city_id))
        .order_by(col(Campaign.city_id), col(Campaign.id))
    )
    if operator.city_id is not None:
        query = query.where(col(Campaign.city_id) == operator.city_id)
    return [
        {
            "id": c.id,
            "name": c.name,
            "city_id": c.city_id,
            "city_code": city_code,
            "city_name": city_name,
            "issuer": c.issuer,
            "issuer_name": c.issuer_name,
            "paused": c.paused,
            "budget_fen": c.budget_fen,
            "issued_fen": c.issued_fen,
            "redeemed_fen": c.redeemed_fen,
            "packs_claimed": int(claimed or 0),
            "pack_quota": int(quota or 0),
        }
        for c, claimed, quota, city_code, city_name in session.execute(query)
    ]


def operated_city(*, session: Session, operator: Operator, city_id: int) -> City:
    """The city, or 404 when it is not the operator's."""
    city = session.get(City, city_id)
    if city is None or operator.city_id not in (None, city_id):
        raise NotFound(f"no city {city_id} you may see", field="city_id")
    return city


def city_board(*, session: Session, operator: Operator, city_id: int, now: datetime) -> dict:
    """The city's store map and the lists that need an operator (what exists so far)."""
    city = operated_city(session=session, operator=operator, city_id=city_id)
    return {
        "city": {"id": city.id, "name": city.name, "lat": city.center_lat, "lon": city.center_lon},
        "stores": store_map(session, city.id, now),
        "late_orders": _late_orders(session, city.id, now),
        "failed_deliveries": _failed_deliveries(session, city.id),
        "timeout_stores": _timeout_stores(session, city.id, now),
    }


def _late_orders(session: Session, city_id: int, now: datetime) -> list[dict]:
    open_statuses = states.LIVE - {states.DELIVERED}
    rows = session.execute(
        select(
            col(Order.id),
            col(Order.store_id),
            col(Order.status),
            col(Order.promised_at),
            col(Store.name),
        )
        .join(Store, col(Store.id) == col(Order.store_id))
        .where(
            col(Order.city_id) == city_id,
            col(Order.status).in_(open_statuses),
            col(Order.promised_at) < now,
        )
        .order_by(col(Order.promised_at))
        .limit(LIST_LIMIT)
    ).all()
    zone = zone_of(session, city_id)
    return [
        {
            "order_id": r[0],
            "store_id": r[1],
            "store_name": r[4],
            "status": r[2],
            "promised_at": r[3].astimezone(zone).isoformat(),
            "late_minutes": int((now - r[3]).total_seconds() // 60),
        }
        for r in rows
    ]


def _failed_deliveries(session: Session, city_id: int) -> list[dict]:
    rows = session.execute(
        select(col(Delivery.id), col(Delivery.order_id), col(Delivery.status))
        .where(col(Delivery.city_id) == city_id, col(Delivery.status) == "FAILED")
        .order_by(col(Delivery.id).desc())
        .limit(LIST_LIMIT)
    ).all()
    return [{"delivery_id": r[0], "order_id": r[1], "status": r[2]} for r in rows]


def _timeout_stores(session: Session, city_id: int, now: datetime) -> list[dict]:
    """Stores that lost orders to re-matching for not accepting in time, most first."""
    reason = col(OrderEvent.data)["reason"].as_string()
    count = func.count().label("n")
    rows = session.execute(
        select(col(OrderEvent.store_id), col(Store.name), count)
        .join(Store, col(Store.id) == col(OrderEvent.store_id))
        .where(
            col(OrderEvent.city_id) == city_id,
            col(OrderEvent.kind) == "reassigned",
            reason.like("%timeout%"),
            col(OrderEvent.at) >= now - TIMEOUT_WINDOW,
        )
        .group_by(col(OrderEvent.store_id), col(Store.name))
        .order_by(count.desc())
        .limit(LIST_LIMIT)
    ).all()
    return [{"store_id": r[0], "name": r[1], "timeouts": r[2]} for r in rows]
