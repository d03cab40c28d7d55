"""Finding stores near a point."""

from datetime import datetime

from sqlmodel import Session, col, select

from service.cities.service import city_for_point, city_zone
from service.geo import bounding_box, exact_km, rough_km
from service.stores.hours import is_open, is_open_24h
from service.stores.models import NearbyStoreRead, NearbyStoresRead, Store

# Great-circle and geodesic distances differ by under 0.5%: rank cheaply, then measure exactly
# only the candidates that could still make the page.
ROUGH_TOLERANCE = 1.006


def nearby_stores(
    *,
    session: Session,
    lat: float,
    lon: float,
    radius_km: float,
    now: datetime,
    category: str | None = None,
    open_only: bool = False,
    limit: int = 20,
) -> NearbyStoresRead:
    """Active stores whose delivery radius covers the point, within `radius_km`, nearest first."""
    city = city_for_point(session=session, lat=lat, lon=lon)
    local_now = now.astimezone(city_zone(city))
    point = (lat, lon)
    candidates = []
    for store in _stores_in_box(session, city.id, lat, lon, radius_km):
        open_now = is_open(store.opening_hours, local_now)
        rough = rough_km(point, (store.lat, store.lon))
        if (
            (not category or category in store.categories)
            and (open_now or not open_only)
            and rough <= _reach(store, radius_km) * ROUGH_TOLERANCE
        ):
            candidates.append((rough, store, open_now))
    return NearbyStoresRead(city=city.code, stores=_nearest(candidates, point, radius_km, limit))


def _nearest(candidates: list, point, radius_km: float, limit: int) -> list[NearbyStoreRead]:
    """Geodesic distances for the candidates that could make the page, nearest first."""
    candidates.sort(key=lambda c: c[0])
    if len(candidates) > limit:
        cutoff = candidates[limit - 1][0] * ROUGH_TOLERANCE
        candidates = [c for c in candidates if c[0] <= cutoff]
    found = []
    for _, store, open_now in candidates:
        exact = exact_km(point, (store.lat, store.lon))
        if exact <= _reach(store, radius_km):
            found.append((exact, store.id, _read(store, exact, open_now)))
    found.sort(key=lambda f: f[:2])
    return [f[2] for f in found[:limit]]


def _reach(store: Store, radius_km: float) -> float:
    return min(radius_km, store.delivery_radius_km)


def _stores_in_box(session: Session, city_id: int, lat: float, lon: float, radius_km: float):
    box = bounding_box(lat, lon, radius_km)
    return session.exec(
        select(Store).where(
            Store.city_id == city_id,
            col(Store.lat).between(box.min_lat, box.max_lat),
            col(Store.lon).between(box.min_lon, box.max_lon),
            col(Store.active).is_(True),
            col(Store.paused).is_(False),
        )
    )


def _read(store: Store, distance_km: float, open_now: bool) -> NearbyStoreRead:
    return NearbyStoreRead(
        **store.model_dump(
            include={
                "id",
                "name",
                "chain",
                "categories",
                "address",
                "lat",
                "lon",
                "delivery_radius_km",
                "prep_minutes",
                "min_basket_fen",
            }
        ),
        distance_km=round(distance_km, 3),
        open_now=open_now,
        open_24h=is_open_24h(store.opening_hours),
    )
