"""Where a product can come from right now: the stores matching would accept for a point.

Reuses matching's own pieces (DESIGN.md section 4), so every check it gains applies here too:
the ranked SQL filter of `reach` (paused, capacity, radius, promise, ...), matching's exact
ranking, opening hours through now + prep, and matching's stock query. The minimum basket
is shown with each store, not applied: a search is not yet a basket.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlmodel import Session, col

from service import caches
from service.catalog.models import StoreStock
from service.cities.models import City
from service.cities.service import city_zone
from service.orders import matching, reach
from service.stores.hours import open_between
from service.stores.models import Store

CHUNK = 8  # stores whose stock is read per round while looking for each product's best store
LOW_STOCK = 5  # available units at or under which a product shows as "low"
HOURS = select(Store.id, Store.opening_hours).where(col(Store.city_id) == bindparam("city_id"))
# Opening hours of a city's stores, parsed once a minute per process rather than ~300 JSON
# documents per search: an edit to a store's hours shows in search within a minute, and an
# order placed meanwhile is still checked against the fresh hours by matching itself.
_hours = caches.ttl_cache(maxsize=64, ttl=60)
# matching.AVAILABLE: a SKU staff marked unavailable counts as none, as for an order.
SPREAD = (
    select(StoreStock.product_id, func.count(), func.min(StoreStock.price_fen))
    .where(*matching.WANTED_STOCK, matching.AVAILABLE > 0)
    .group_by(StoreStock.product_id)
)


@dataclass(frozen=True)
class Offer:
    """A product's best store (the one an order placed now would get) and the spread."""

    store: object  # a row of reach.STORE_COLUMNS
    eta_minutes: float
    distance_km: float  # planar, as matching ranks
    price_fen: int
    available: int
    stores: int  # eligible stores holding it, the best one included
    lowest_price_fen: int


def eligible_stores(*, session: Session, city: City, lat: float, lon: float,
                    now: datetime) -> list[tuple]:  # fmt: skip
    """(eta minutes, km, open orders, id, row) of the stores matching would accept, best first."""
    planar = reach.Planar(lat, lon)
    rows = reach.reachable_page(session=session, city=city, planar=planar, campaign_id=None,
                                exclude=frozenset(), offset=None, now=now)  # fmt: skip
    ranked = matching.ranked(rows, city, planar.km)
    if not ranked:
        return []
    hours = _city_hours(session, city.id, [r[3] for r in ranked])
    local_now = now.astimezone(city_zone(city))
    return [r for r in ranked
            if open_between(hours[r[3]], local_now,
                            local_now + timedelta(minutes=r[4].prep_minutes))]  # fmt: skip


def _city_hours(session: Session, city_id: int, store_ids: list[int]) -> dict:
    """store id -> opening hours for the city, read afresh when a store is new since."""
    load = lambda: dict(session.connection().execute(HOURS, {"city_id": city_id}).all())  # noqa: E731
    hours = caches.get_or_load(_hours, city_id, load)
    if any(store_id not in hours for store_id in store_ids):
        caches.forget(_hours, city_id)
        hours = caches.get_or_load(_hours, city_id, load)
    return hours


def offers(session: Session, stores: list[tuple], product_ids: list[int],
           now: datetime) -> dict[int, Offer]:  # fmt: skip
    """product id -> its Offer, for the products some eligible store has in stock."""
    params = {"store_ids": [r[3] for r in stores], "product_ids": product_ids, "stock_now": now}
    spread = {p: (n, low) for p, n, low in session.connection().execute(SPREAD, params)}
    # Only products some store holds are looked for store by store: the walk then ends early.
    best = _best_stores(session, stores, set(spread), now)
    return {p: Offer(row[4], row[0], row[1], price, available, *spread[p])
            for p, (row, available, price) in best.items() if p in spread}  # fmt: skip


def _best_stores(session: Session, stores: list[tuple], wanted: set[int], now: datetime) -> dict:
    """product id -> (ranked row, available, price) at the first store in ETA order holding it."""
    best: dict = {}
    for start in range(0, len(stores), CHUNK):
        if not wanted:
            break
        chunk = stores[start : start + CHUNK]
        stock = matching.stock_at(session, [r[3] for r in chunk], dict.fromkeys(wanted, 1), now)
        for row in chunk:
            for product_id, (available, price) in stock.get(row[3], {}).items():
                if available > 0 and product_id in wanted:
                    best[product_id] = (row, available, price)
                    wanted.discard(product_id)
    return best


def availability(available: int) -> str:
    """in / low / out: all that is shown of a store's stock."""
    return "out" if available <= 0 else "low" if available <= LOW_STOCK else "in"
