"""Where a product can come from right now: the stores matching would accept for a point.

Reuses matching's own pieces (DESIGN.md section 4), so every check it gains applies here too:
the SQL filter of `reach` (paused, disconnected, stale, capacity, radius, promise, ...),
matching's ranking (ETA, distance, open orders, id), opening hours through now + prep. Stock
comes from the city's in-memory shelves (`shelves`), brought up to the stock versions read
with the stores in the same query. The minimum basket is shown with each store, not applied:
a search is not yet a basket.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import bindparam, select
from sqlmodel import Session, col

from service import caches
from service.catalog import shelves
from service.cities.models import City
from service.cities.service import city_zone
from service.orders import reach
from service.stores.hours import is_open_24h, open_spans, spans_cover
from service.stores.models import Store

LOW_STOCK = 5  # available units at or under which a product shows as "low"
HOURS = select(Store.id, Store.opening_hours).where(col(Store.city_id) == bindparam("city_id"))
# Opening hours of a city's stores, parsed once a minute per process rather than ~300 JSON
# documents per search: an edit to a store's hours shows in search within a minute, and an
# order placed meanwhile is still checked against the fresh hours by matching itself.
HOURS_TTL_S = 60
_hours = caches.ttl_cache(maxsize=64, ttl=HOURS_TTL_S)
NO_PRICE = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Offer:
    """A product's best store (the one an order placed now would get) and the spread."""

    store: object  # a row of reach.SEARCH_COLUMNS
    eta_minutes: float
    distance_km: float  # planar, as matching ranks
    price_fen: int
    available: int
    stores: int  # eligible stores holding it, the best one included
    lowest_price_fen: int


def eligible_stores(
    *, session: Session, city: City, lat: float, lon: float, now: datetime
) -> list[tuple]:
    """(eta minutes, km, open orders, id, row, prep minutes, stock version) of the stores
    matching would accept, best first."""
    planar = reach.Planar(lat, lon)
    rows = reach.covering(session=session, city=city, planar=planar, now=now)
    if not rows:
        return []
    ranked = _ranked(rows, city, planar)
    limited, spans = _limited_hours(session, city.id, [r[3] for r in ranked])
    return _open_through_prep(ranked, limited, spans, now.astimezone(city_zone(city)))


def _open_through_prep(ranked: list, limited: dict, spans: dict, local_now: datetime) -> list:
    """The ranked stores open from now through their prep time (hours.open_between), the
    open spans of the limited ones kept per (store, local dates) with the hours."""
    ends = {
        prep: (end, end.date())
        for prep in {r[5] for r in ranked}
        for end in (local_now + timedelta(minutes=prep),)
    }
    today, kept = local_now.date(), []
    for r in ranked:
        hours = limited.get(r[3])
        if hours is not None:
            end, end_day = ends[r[5]]
            found = spans.get((r[3], today, end_day))
            if found is None:
                found = spans[r[3], today, end_day] = open_spans(hours, local_now, end)
            if not spans_cover(found, local_now, end):
                continue
        kept.append(r)
    return kept


# Positions in reach.SEARCH_COLUMNS: a Row's attributes cost a Python call each, its items not.
ID, LAT, LON, RADIUS, PREP, OPEN_ORDERS, VERSION = 0, 3, 4, 5, 6, 8, 9


def _ranked(rows: list, city: City, planar: reach.Planar) -> list[tuple]:
    """matching.ranked over arrays: the rows within reach and the promise, in its order."""
    columns = list(zip(*rows, strict=True))
    lats, lons, radii, preps = (np.array(columns[i]) for i in (LAT, LON, RADIUS, PREP))
    ids, open_orders = np.array(columns[ID]), np.array(columns[OPEN_ORDERS])
    km = np.hypot((lats - planar.lat) * planar.ky, (lons - planar.lon) * planar.kx)
    eta = preps + km / city.courier_speed_kmh * 60
    keep = np.flatnonzero((km <= radii) & (eta <= reach.PROMISE_MINUTES))
    order = keep[np.lexsort((ids[keep], open_orders[keep], km[keep], eta[keep]))].tolist()
    eta_list, km_list = eta.tolist(), km.tolist()
    return [
        (
            eta_list[i],
            km_list[i],
            columns[OPEN_ORDERS][i],
            columns[ID][i],
            rows[i],
            columns[PREP][i],
            columns[VERSION][i],
        )
        for i in order
    ]


def _limited_hours(session: Session, city_id: int, store_ids: list[int]) -> tuple[dict, dict]:
    """(store id -> opening hours of the city's stores not open 24 h (read afresh when a store
    is new since), the open_spans kept from those hours)."""
    known, limited, spans = caches.get_or_load(
        _hours, city_id, lambda: _read_hours(session, city_id)
    )
    if not known.issuperset(store_ids):
        known, limited, spans = reload_hours(session, city_id)
    return limited, spans


def reload_hours(session: Session, city_id: int) -> tuple:
    """Read the city's opening hours afresh into the per-process cache (a new store, or the
    worker's refresh thread before the entry runs out: searches then never parse them)."""
    value = _read_hours(session, city_id)
    with caches.locked(_hours):
        _hours[city_id] = value
    return value


def _read_hours(session: Session, city_id: int) -> tuple:
    rows = session.execute(HOURS, {"city_id": city_id}).all()
    return (
        frozenset(r.id for r in rows),
        {r.id: r.opening_hours for r in rows if not is_open_24h(r.opening_hours)},
        {},
    )


def offers(
    session: Session, city_id: int, stores: list[tuple], product_ids: list[int], now: datetime
) -> dict[int, Offer]:
    """product id -> its Offer, for the products some eligible store has in stock."""
    current = shelves.current(session, city_id, [(r[3], r[6]) for r in stores])
    held, available, price = current.take([r[3] for r in stores], product_ids, now)
    stocked = available > 0  # stores (best first) x products
    counts = stocked.sum(axis=0).tolist()
    lowest = np.where(stocked, price, NO_PRICE).min(axis=0, initial=NO_PRICE).tolist()
    first = stocked.argmax(axis=0).tolist()  # the first store in ETA order holding it
    found = {}
    for j, product_id in enumerate(held):
        if counts[j]:
            i = first[j]
            row = stores[i]
            found[product_id] = Offer(
                row[4], row[0], row[1], int(price[i, j]), int(available[i, j]), counts[j], lowest[j]
            )
    return found


def availability(available: int) -> str:
    """in / low / out: all that is shown of a store's stock."""
    return "out" if available <= 0 else "low" if available <= LOW_STOCK else "in"
