"""Matching an order to a store (DESIGN.md section 4).

Fast path: one indexed bounding-box query that already drops paused, full, non-campaign and
out-of-reach stores (a cheap squared distance in SQL); ranking by ETA with a planar distance;
opening hours, minimum basket and stock checked only for the best few; geopy for the distance
reported. Only when nothing is found does `explain` walk the city to count stores per reason.
"""

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, literal, select
from sqlmodel import Session, col

from service import caches
from service.campaigns.models import Campaign, CampaignStore, Coupon
from service.catalog.models import StoreStock
from service.cities.models import City
from service.cities.service import city_zone
from service.errors import NotFound
from service.geo import KM_PER_DEGREE_LAT, bounding_box, exact_km
from service.stores.hours import open_between
from service.stores.models import Store

PROMISE = timedelta(minutes=60)
REASONS = ("paused", "closed", "out_of_radius", "below_min_basket", "at_capacity",
           "not_in_campaign", "too_late", "out_of_stock")  # fmt: skip
# Opening hours (JSON) are left out of the wide query and read only for the best few stores.
STORE_COLUMNS = (Store.id, Store.name, Store.address, Store.lat, Store.lon,
                 Store.delivery_radius_km, Store.prep_minutes,
                 Store.min_basket_fen, Store.max_open_orders, Store.open_orders, Store.active,
                 Store.paused)  # fmt: skip
BATCH = 8  # stores whose hours, basket and stock are checked per round


@dataclass(frozen=True)
class Want:
    """What the order needs: product -> quantity, the campaign scope of its coupon if any."""

    qty: dict[int, int]
    campaign_id: int | None = None
    campaign_all_stores: bool = True
    products: dict[str, tuple] | None = None  # sku -> (id, name, category), when looked up


@dataclass(frozen=True)
class Candidate:
    store: object  # a row of STORE_COLUMNS
    distance_km: float  # planar: ranks candidates; see `measured` for the geodesic
    eta: datetime


def measured(candidate: Candidate, lat: float, lon: float, city: City, now: datetime) -> Candidate:
    """The candidate with geopy's geodesic distance and the ETA that follows from it."""
    distance = exact_km((lat, lon), (candidate.store.lat, candidate.store.lon))
    minutes = candidate.store.prep_minutes + distance / city.courier_speed_kmh * 60
    return Candidate(candidate.store, distance, now + timedelta(minutes=minutes))


# A new store with a wider radius than any before is missed by the box for at most a minute.
_max_radius = caches.ttl_cache(maxsize=256, ttl=60)


def coupon_scope(session: Session, coupon_id: int | None,
                 consumer_id: int | None = None) -> tuple[int | None, bool]:  # fmt: skip
    """(campaign id, open to all stores) of a coupon, for the not_in_campaign check."""
    if coupon_id is None:
        return None, True
    query = (
        select(Campaign.id, Campaign.all_stores)
        .join(Coupon, col(Coupon.campaign_id) == col(Campaign.id))
        .where(col(Coupon.id) == coupon_id)
    )
    if consumer_id is not None:
        query = query.where(col(Coupon.consumer_id) == consumer_id)
    row = session.execute(query).first()  # fmt: skip
    if row is None:
        raise NotFound(f"no coupon {coupon_id} of yours", field="coupon_id")
    return row.id, row.all_stores


def find_candidates(*, session: Session, city: City, lat: float, lon: float, want: Want,
                    now: datetime, exclude: frozenset = frozenset(), store_id: int | None = None,
                    prefilter: bool = True) -> list[Candidate]:  # fmt: skip
    """Stores that pass every check, best ETA first (then distance, then open orders).

    prefilter=False is the naive baseline the benchmark compares against: no box, no SQL
    distance, a geodesic to every store of the city.
    """
    planar = Planar(lat, lon)
    distance_to = planar.km if prefilter else (lambda la, lo: exact_km((lat, lon), (la, lo)))
    ranked = []
    for row in _reachable(session, city, planar, want, exclude, store_id, prefilter):
        distance = distance_to(row.lat, row.lon)
        eta_minutes = row.prep_minutes + distance / city.courier_speed_kmh * 60
        if distance <= row.delivery_radius_km and eta_minutes <= PROMISE.total_seconds() / 60:
            ranked.append((eta_minutes, distance, row.open_orders, row.id, row))
    ranked.sort(key=lambda r: r[:4])
    found = []
    local_now = now.astimezone(city_zone(city))
    for start in range(0, len(ranked), BATCH):
        batch = ranked[start : start + BATCH]
        hours, stock = _hours_and_stock(session, [r[4].id for r in batch], want.qty)
        found += [Candidate(row, distance, now + timedelta(minutes=eta))
                  for eta, distance, _, _, row in batch
                  if row.id in hours and _basket_ok(row, want.qty, stock[row.id])
                  and open_between(hours[row.id], local_now,
                                   local_now + timedelta(minutes=row.prep_minutes))]  # fmt: skip
        if found:
            return found
    return found


def _hours_and_stock(session: Session, store_ids: list[int], qty: dict[int, int]):
    """Opening hours and wanted stock of a few stores in one query (a store selling none of
    the products is left out: it cannot take the order anyway)."""
    rows = session.execute(
        select(StoreStock.store_id, StoreStock.product_id,
               StoreStock.on_hand - StoreStock.reserved, StoreStock.price_fen, Store.opening_hours)
        .join(Store, col(Store.id) == col(StoreStock.store_id))
        .where(col(StoreStock.store_id).in_(store_ids), col(StoreStock.product_id).in_(qty))
    ).all()  # fmt: skip
    hours: dict = {}
    stock: dict = {}
    for store_id, product_id, available, price, opening_hours in rows:
        hours[store_id] = opening_hours
        stock.setdefault(store_id, {})[product_id] = (max(0, available), price)
    return hours, stock


def _reachable(session, city: City, planar: "Planar", want: Want, exclude, store_id, prefilter):
    query = select(*STORE_COLUMNS).where(
        col(Store.city_id) == city.id,
        col(Store.active),
        ~col(Store.paused),
        col(Store.open_orders) < col(Store.max_open_orders),
    )
    if store_id is not None:
        query = query.where(col(Store.id) == store_id)
    elif prefilter:
        box = bounding_box(planar.lat, planar.lon, max_radius(session, city.id))
        query = query.where(col(Store.lat).between(box.min_lat, box.max_lat),
                            col(Store.lon).between(box.min_lon, box.max_lon),
                            planar.squared_km_sql() <= col(Store.delivery_radius_km) * col(
                                Store.delivery_radius_km) * 1.01)  # fmt: skip
    if exclude:
        query = query.where(col(Store.id).not_in(exclude))
    if want.campaign_id is not None and not want.campaign_all_stores:
        query = query.where(col(Store.id).in_(select(CampaignStore.store_id).where(
            col(CampaignStore.campaign_id) == want.campaign_id)))  # fmt: skip
    return session.execute(query).all()


def stock_at(session: Session, store_ids: list[int], qty: dict[int, int]) -> dict:
    """store id -> product id -> (available, price) for the wanted products."""
    if not store_ids:
        return {}
    rows = session.execute(
        select(StoreStock.store_id, StoreStock.product_id,
               StoreStock.on_hand - StoreStock.reserved, StoreStock.price_fen)
        .where(col(StoreStock.store_id).in_(store_ids), col(StoreStock.product_id).in_(qty))
    ).all()  # fmt: skip
    stock: dict = {}
    for store_id, product_id, available, price in rows:
        stock.setdefault(store_id, {})[product_id] = (max(0, available), price)
    return stock


def _basket_ok(row, qty: dict[int, int], stock: dict, *, need_stock: bool = True) -> bool:
    """The basket at this store's prices reaches its minimum (and, if asked, is in stock)."""
    basket = sum(q * stock[p][1] for p, q in qty.items() if p in stock)
    enough = all(p in stock and stock[p][0] >= q for p, q in qty.items())
    return basket >= row.min_basket_fen and (enough or not need_stock)


def max_radius(session: Session, city_id: int) -> float:
    """The largest delivery radius in the city: the prefilter box's half-width."""
    query = select(func.max(Store.delivery_radius_km)).where(col(Store.city_id) == city_id)
    return caches.get_or_load(_max_radius, city_id,
                              lambda: session.execute(query).scalar() or 0.0)  # fmt: skip


class Planar:
    """Equirectangular distance around a point: exact enough (<0.1%) within a city to rank."""

    def __init__(self, lat: float, lon: float):
        self.lat, self.lon = lat, lon
        self.ky = KM_PER_DEGREE_LAT
        self.kx = KM_PER_DEGREE_LAT * math.cos(math.radians(lat))

    def km(self, lat: float, lon: float) -> float:
        return math.hypot((lat - self.lat) * self.ky, (lon - self.lon) * self.kx)

    def squared_km_sql(self):
        dy = (col(Store.lat) - literal(self.lat)) * literal(self.ky)
        dx = (col(Store.lon) - literal(self.lon)) * literal(self.kx)
        return dy * dy + dx * dx


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
        members = set(session.execute(select(CampaignStore.store_id).where(
            col(CampaignStore.campaign_id) == want.campaign_id)).scalars())  # fmt: skip
    box = bounding_box(lat, lon, max_radius(session, city.id))
    near = {
        r.id
        for r in rows
        if box.min_lat <= r.lat <= box.max_lat and box.min_lon <= r.lon <= box.max_lon
    }
    stock = stock_at(session, list(near), want.qty)
    local_now = now.astimezone(city_zone(city))
    context = (lat, lon, city, local_now, want, members, near, stock)
    counts = Counter(_first_failure(row, *context) for row in rows)
    return {reason: counts[reason] for reason in REASONS if counts[reason]}


def _first_failure(row, lat, lon, city, local_now, want, members, near, stock) -> str:
    if not row.active or row.paused:
        return "paused"
    if not open_between(row.opening_hours, local_now,
                        local_now + timedelta(minutes=row.prep_minutes)):  # fmt: skip
        return "closed"
    if row.id not in near:  # outside the box no store reaches the point: no distance needed
        return "out_of_radius"
    distance = exact_km((lat, lon), (row.lat, row.lon))
    if distance > row.delivery_radius_km:
        return "out_of_radius"
    if not _basket_ok(row, want.qty, stock.get(row.id, {}), need_stock=False):
        return "below_min_basket"
    if row.open_orders >= row.max_open_orders:
        return "at_capacity"
    if members is not None and row.id not in members:
        return "not_in_campaign"
    if row.prep_minutes + distance / city.courier_speed_kmh * 60 > PROMISE.total_seconds() / 60:
        return "too_late"
    return "out_of_stock"
