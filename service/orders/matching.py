"""Matching an order to a store (DESIGN.md section 4).

Fast path: the reachable stores of the city ranked by ETA in SQL (`reach`), a page at a
time; opening hours, minimum basket and stock checked only for the best few; geopy for the
distance reported. Only when nothing is found does `explain` walk the city to count stores
per reason.
"""

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, select
from sqlmodel import Session, col

from service.campaigns.models import Campaign, Coupon
from service.catalog.models import StoreStock
from service.cities.models import City
from service.cities.service import city_zone
from service.errors import NotFound
from service.geo import exact_km
from service.orders import reach
from service.orders.reach import PROMISE, PROMISE_MINUTES
from service.stores.hours import open_between
from service.stores.models import Store

__all__ = [
    "PROMISE",
    "Candidate",
    "Want",
    "coupon_scope",
    "find_candidates",
    "measured",
    "stock_at",
]
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


COUPON_CAMPAIGN = (
    select(Campaign.id, Campaign.all_stores, Coupon.consumer_id)
    .join(Coupon, col(Coupon.campaign_id) == col(Campaign.id))
    .where(col(Coupon.id) == bindparam("coupon_id"))
)


def coupon_scope(
    session: Session, coupon_id: int | None, consumer_id: int | None = None
) -> tuple[int | None, bool]:
    """(campaign id, open to all stores) of a coupon, for the not_in_campaign check."""
    if coupon_id is None:
        return None, True
    row = session.connection().execute(COUPON_CAMPAIGN, {"coupon_id": coupon_id}).first()
    if row is None or (consumer_id is not None and row.consumer_id != consumer_id):
        raise NotFound(f"no coupon {coupon_id} of yours", field="coupon_id")
    return row.id, row.all_stores


def find_candidates(
    *,
    session: Session,
    city: City,
    lat: float,
    lon: float,
    want: Want,
    now: datetime,
    exclude: frozenset = frozenset(),
    store_id: int | None = None,
    prefilter: bool = True,
) -> list[Candidate]:
    """Stores that pass every check, best ETA first (then distance, then open orders).

    prefilter=False is the naive baseline the benchmark compares against: no box, no SQL
    distance, a geodesic to every store of the city.
    """
    local_now = now.astimezone(city_zone(city))
    planar = reach.Planar(lat, lon)
    pages = _ranked_pages(session, city, planar, want, exclude, store_id, prefilter, now)
    for page in pages:
        for start in range(0, len(page), BATCH):
            batch = page[start : start + BATCH]
            hours, stock = _hours_and_stock(session, [r[4].id for r in batch], want.qty, now)
            found = [
                Candidate(row, distance, now + timedelta(minutes=eta))
                for eta, distance, _, _, row in batch
                if row.id in hours
                and basket_ok(row, want.qty, stock[row.id])
                and open_between(
                    hours[row.id], local_now, local_now + timedelta(minutes=row.prep_minutes)
                )
            ]
            if found:
                return found
    return []


def _ranked_pages(session, city: City, planar, want: Want, exclude, store_id, prefilter, now):
    """Reachable stores in ETA order, a page at a time: ranked by the database or, for a named
    store and the naive baseline, ranked here (the baseline by geodesic distance)."""
    campaign_id = None if want.campaign_all_stores else want.campaign_id
    if store_id is not None or not prefilter:
        rows = reach.unfiltered(
            session=session,
            city=city,
            campaign_id=campaign_id,
            exclude=exclude,
            store_id=store_id,
            now=now,
        )
        yield _ranked(rows, city, planar.km if prefilter else planar.exact_km)
        return
    for offset in itertools.count(0, reach.PAGE):
        rows = reach.reachable_page(
            session=session,
            city=city,
            planar=planar,
            campaign_id=campaign_id,
            exclude=exclude,
            offset=offset,
            now=now,
        )
        yield _ranked(rows, city, planar.km)
        if len(rows) < reach.PAGE:
            return


def _ranked(rows, city: City, distance_to) -> list[tuple]:
    """(eta minutes, km, open orders, id, row) of the rows within reach and the promise."""
    ranked = []
    for row in rows:
        distance = distance_to(row.lat, row.lon)
        eta_minutes = row.prep_minutes + distance / city.courier_speed_kmh * 60
        if distance <= row.delivery_radius_km and eta_minutes <= PROMISE_MINUTES:
            ranked.append((eta_minutes, distance, row.open_orders, row.id, row))
    ranked.sort(key=lambda r: r[:4])
    return ranked


ranked = _ranked  # product search (service/catalog/nearby.py) ranks stores the same way


# The wanted products' stock at some stores (a store selling none of them is left out: it
# cannot take the order anyway); with opening hours, for the best few of a search. A SKU staff
# marked unavailable counts as none on the shelf until then.
AVAILABLE = case(
    (col(StoreStock.unavailable_until) > bindparam("stock_now"), 0),
    else_=col(StoreStock.on_hand) - col(StoreStock.reserved),
)
STOCK_COLUMNS = (StoreStock.store_id, StoreStock.product_id, AVAILABLE, StoreStock.price_fen)
WANTED_STOCK = (
    col(StoreStock.store_id).in_(bindparam("store_ids", expanding=True)),
    col(StoreStock.product_id).in_(bindparam("product_ids", expanding=True)),
)
STOCK = select(*STOCK_COLUMNS).where(*WANTED_STOCK)
HOURS_AND_STOCK = (
    select(*STOCK_COLUMNS, Store.opening_hours)
    .join(Store, col(Store.id) == col(StoreStock.store_id))
    .where(*WANTED_STOCK)
)


def stock_at(session: Session, store_ids: list[int], qty: dict[int, int], now: datetime) -> dict:
    """store id -> product id -> (available, price) for the wanted products."""
    if not store_ids:
        return {}
    params = {"store_ids": store_ids, "product_ids": list(qty), "stock_now": now}
    return _stock_map(session.connection().execute(STOCK, params))


def _hours_and_stock(session: Session, store_ids: list[int], qty: dict[int, int], now: datetime):
    params = {"store_ids": store_ids, "product_ids": list(qty), "stock_now": now}
    rows = session.connection().execute(HOURS_AND_STOCK, params).all()
    return {row.store_id: row.opening_hours for row in rows}, _stock_map(rows)


def _stock_map(rows) -> dict:
    stock: dict = {}
    for store_id, product_id, available, price, *_ in rows:
        stock.setdefault(store_id, {})[product_id] = (max(0, available), price)
    return stock


def basket_ok(row, qty: dict[int, int], stock: dict, *, need_stock: bool = True) -> bool:
    """The basket at this store's prices reaches its minimum (and, if asked, is in stock)."""
    basket = sum(q * stock[p][1] for p, q in qty.items() if p in stock)
    enough = all(p in stock and stock[p][0] >= q for p, q in qty.items())
    return basket >= row.min_basket_fen and (enough or not need_stock)
