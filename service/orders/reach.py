"""Which stores can reach an address, ranked by ETA in SQL (DESIGN.md section 4).

The query is one indexed bounding-box scan that drops paused, full, non-campaign and
out-of-reach stores and sorts the rest by ETA with a planar distance, a page at a time.
Statements are built once per shape with bound parameters: building an expression per
order cost more CPU than running it.
"""

import functools
import math
import os
from datetime import datetime, timedelta

from sqlalchemy import Select, bindparam, func, or_, select
from sqlmodel import Session, col

from service import caches
from service.campaigns.models import CampaignStore
from service.cities.models import City
from service.db import UTCDateTime
from service.geo import KM_PER_DEGREE_LAT, bounding_box, exact_km
from service.stores.models import Store

# Opening hours (JSON) are left out of the wide query and read only for the best few stores.
STORE_COLUMNS = (
    Store.id,
    Store.name,
    Store.address,
    Store.lat,
    Store.lon,
    Store.delivery_radius_km,
    Store.prep_minutes,
    Store.min_basket_fen,
    Store.max_open_orders,
    Store.open_orders,
    Store.active,
    Store.paused,
    Store.adapter_kind,
    Store.stock_fresh_until,
    Store.intake_mode,
    Store.last_polled_at,
)
# What product search needs of every store around a point (name and address for the few shown).
SEARCH_COLUMNS = (
    Store.id,
    Store.name,
    Store.address,
    Store.lat,
    Store.lon,
    Store.delivery_radius_km,
    Store.prep_minutes,
    Store.min_basket_fen,
    Store.open_orders,
    Store.stock_version,
)
PROMISE = timedelta(minutes=60)
PROMISE_MINUTES = PROMISE.total_seconds() / 60
PAGE = 24  # ranked stores read per query; the first few nearly always include a match


def tablet_silence() -> timedelta:
    """How long a `tablet` store may go without polling before matching skips it."""
    return timedelta(seconds=float(os.environ.get("HD_TABLET_SILENCE_S", "120")))


def polled_since(now: datetime) -> datetime:
    """The oldest last poll that still counts a tablet store as connected."""
    return now - tablet_silence()


# A new store with a wider radius than any before is missed by the box for at most a minute.
_max_radius = caches.ttl_cache(maxsize=256, ttl=60)
# Built once: building it on every call cost more than the cached answer it guards (~0.15 ms).
MAX_RADIUS = select(func.max(Store.delivery_radius_km)).where(
    col(Store.city_id) == bindparam("city_id")
)


class Planar:
    """Equirectangular distance around a point: exact enough (<0.1%) within a city to rank."""

    def __init__(self, lat: float, lon: float):
        self.lat, self.lon = lat, lon
        self.ky = KM_PER_DEGREE_LAT
        self.kx = KM_PER_DEGREE_LAT * math.cos(math.radians(lat))

    def km(self, lat: float, lon: float) -> float:
        return math.hypot((lat - self.lat) * self.ky, (lon - self.lon) * self.kx)

    def exact_km(self, lat: float, lon: float) -> float:
        return exact_km((self.lat, self.lon), (lat, lon))


def reachable_page(
    *,
    session: Session,
    city: City,
    planar: Planar,
    campaign_id: int | None,
    exclude: frozenset,
    offset: int | None,
    now: datetime,
) -> list:
    """One page of the city's open, free stores whose radius covers the point, by ETA
    (offset None: all of them)."""
    params = {
        **_point_params(session, city, planar, now),
        "offset": offset,
        "campaign_id": campaign_id,
        "exclude": list(exclude),
    }
    statement = _ranked_statement(campaign_id is not None, bool(exclude), offset is not None)
    return session.connection().execute(statement, params).all()


def covering(*, session: Session, city: City, planar: Planar, now: datetime) -> list:
    """Every open, free store whose radius covers the point, unranked, as SEARCH_COLUMNS:
    product search ranks them itself (`matching.ranked`'s order) and reads their stock
    versions with their live state in this one query."""
    params = _point_params(session, city, planar, now)
    return session.execute(_covering_statement(), params).all()


def _point_params(session: Session, city: City, planar: Planar, now: datetime) -> dict:
    box = bounding_box(planar.lat, planar.lon, max_radius(session, city.id))
    return {
        "city_id": city.id,
        "min_lat": box.min_lat,
        "max_lat": box.max_lat,
        "min_lon": box.min_lon,
        "max_lon": box.max_lon,
        "lat0": planar.lat,
        "lon0": planar.lon,
        "ky": planar.ky,
        "kx": planar.kx,
        "minutes_per_km": 60 / city.courier_speed_kmh,
        "now": now,
        "polled_since": polled_since(now),
    }


def unfiltered(
    *,
    session: Session,
    city: City,
    campaign_id: int | None,
    exclude: frozenset,
    store_id: int | None,
    now: datetime,
) -> list:
    """The stores a naive search (or a named store) starts from: no box, no ranking."""
    statement = _base(campaign_id is not None, bool(exclude))
    if store_id is not None:
        statement = statement.where(col(Store.id) == store_id)
    params = {
        "city_id": city.id,
        "campaign_id": campaign_id,
        "exclude": list(exclude),
        "now": now,
        "polled_since": polled_since(now),
    }
    return session.connection().execute(statement, params).all()


def max_radius(session: Session, city_id: int) -> float:
    """The largest delivery radius in the city: the prefilter box's half-width."""
    return caches.get_or_load(
        _max_radius,
        city_id,
        lambda: session.execute(MAX_RADIUS, {"city_id": city_id}).scalar() or 0.0,
    )


def fresh_stock():
    """A store whose stock may be trusted at :now: manual, never synced, or synced lately."""
    fresh_until = col(Store.stock_fresh_until)
    return or_(
        col(Store.adapter_kind) == "manual",
        fresh_until.is_(None),
        fresh_until > bindparam("now", type_=UTCDateTime),
    )


def _base(in_campaign: bool, excluding: bool) -> Select:
    query = select(*STORE_COLUMNS).where(
        col(Store.city_id) == bindparam("city_id"),
        col(Store.active),
        ~col(Store.paused),
        # disconnected: a tablet store whose tablet has not polled lately (or ever)
        or_(
            col(Store.intake_mode) != "tablet",
            col(Store.last_polled_at) >= bindparam("polled_since"),
        ),
        col(Store.open_orders) < col(Store.max_open_orders),
        fresh_stock(),
    )
    if excluding:
        query = query.where(col(Store.id).not_in(bindparam("exclude", expanding=True)))
    if in_campaign:  # a coupon of a campaign open to listed stores only
        members = select(CampaignStore.store_id).where(
            col(CampaignStore.campaign_id) == bindparam("campaign_id")
        )
        query = query.where(col(Store.id).in_(members))
    return query


def _reach_terms() -> tuple:
    """(squared planar km, ETA minutes) of a store from the bound point."""
    dy = (col(Store.lat) - bindparam("lat0")) * bindparam("ky")
    dx = (col(Store.lon) - bindparam("lon0")) * bindparam("kx")
    squared_km = dy * dy + dx * dx
    return squared_km, col(Store.prep_minutes) + func.sqrt(squared_km) * bindparam("minutes_per_km")


def _within_reach(query: Select) -> Select:
    squared_km, eta = _reach_terms()
    radius = col(Store.delivery_radius_km)
    # Small slacks on radius and promise: the rows are checked exactly in Python afterwards.
    return query.where(
        col(Store.lat).between(bindparam("min_lat"), bindparam("max_lat")),
        col(Store.lon).between(bindparam("min_lon"), bindparam("max_lon")),
        squared_km <= radius * radius * 1.01,
        eta <= PROMISE_MINUTES + 0.01,
    )


@functools.cache
def _ranked_statement(in_campaign: bool, excluding: bool, paged: bool = True) -> Select:
    squared_km, eta = _reach_terms()
    ranked = _within_reach(_base(in_campaign, excluding)).order_by(
        eta, squared_km, Store.open_orders, Store.id
    )
    return ranked.limit(PAGE).offset(bindparam("offset")) if paged else ranked


@functools.cache
def _covering_statement() -> Select:
    return _within_reach(_base(False, False).with_only_columns(*SEARCH_COLUMNS))
