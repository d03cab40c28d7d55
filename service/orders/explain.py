"""Why no store could take an order: every store of the city counted under its first
failed check of DESIGN.md section 4, in the order the section lists them."""

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from service.campaigns.models import CampaignStore
from service.cities.models import City
from service.cities.service import city_zone
from service.geo import bounding_box, exact_km
from service.orders.matching import Want, basket_ok, stock_at
from service.orders.reach import PROMISE_MINUTES, STORE_COLUMNS, max_radius, polled_since
from service.stores.hours import open_between
from service.stores.models import Store

REASONS = (
    "paused",
    "disconnected",
    "stale_stock",
    "closed",
    "out_of_radius",
    "below_min_basket",
    "at_capacity",
    "not_in_campaign",
    "too_late",
    "out_of_stock",
)


def explain(
    *,
    session: Session,
    city: City,
    lat: float,
    lon: float,
    want: Want,
    now: datetime,
    exclude: frozenset = frozenset(),
    store_id: int | None = None,
) -> dict[str, int]:
    """Why no store qualified: each candidate store counted once, under its first failed check."""
    query = select(*STORE_COLUMNS, Store.opening_hours).where(col(Store.city_id) == city.id)
    if store_id is not None:
        query = query.where(col(Store.id) == store_id)
    rows = [r for r in session.execute(query).all() if r.id not in exclude]
    members = None
    if want.campaign_id is not None and not want.campaign_all_stores:
        members = set(
            session.execute(
                select(CampaignStore.store_id).where(
                    col(CampaignStore.campaign_id) == want.campaign_id
                )
            ).scalars()
        )
    box = bounding_box(lat, lon, max_radius(session, city.id))
    near = {
        r.id
        for r in rows
        if box.min_lat <= r.lat <= box.max_lat and box.min_lon <= r.lon <= box.max_lon
    }
    stock = stock_at(session, list(near), want.qty, now)
    local_now = now.astimezone(city_zone(city))
    context = (lat, lon, city, local_now, want, members, near, stock, polled_since(now))
    counts = Counter(_first_failure(row, now, *context) for row in rows)
    return {reason: counts[reason] for reason in REASONS if counts[reason]}


def _first_failure(row, now, lat, lon, city, local_now, want, members, near, stock, since) -> str:
    if not row.active or row.paused:
        return "paused"
    if row.intake_mode == "tablet" and (row.last_polled_at is None or row.last_polled_at < since):
        return "disconnected"
    if row.adapter_kind != "manual" and row.stock_fresh_until and row.stock_fresh_until <= now:
        return "stale_stock"
    if not open_between(
        row.opening_hours, local_now, local_now + timedelta(minutes=row.prep_minutes)
    ):
        return "closed"
    if row.id not in near:  # outside the box no store reaches the point: no distance needed
        return "out_of_radius"
    distance = exact_km((lat, lon), (row.lat, row.lon))
    if distance > row.delivery_radius_km:
        return "out_of_radius"
    if not basket_ok(row, want.qty, stock.get(row.id, {}), need_stock=False):
        return "below_min_basket"
    if row.open_orders >= row.max_open_orders:
        return "at_capacity"
    if members is not None and row.id not in members:
        return "not_in_campaign"
    if row.prep_minutes + distance / city.courier_speed_kmh * 60 > PROMISE_MINUTES:
        return "too_late"
    return "out_of_stock"
