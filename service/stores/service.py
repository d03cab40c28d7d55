"""Finding stores near a point."""

from datetime import datetime

from sqlmodel import Session, col, select

from service.cities.service import city_for_point, city_zone
from service.geo import bounding_box, exact_km, rough_km
from service.stores.hours import is_open, is_open_24h
from service.stores.models import NearbyStoreRead, NearbyStoresRead, Store


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
    ranked = []
    for store in _stores_in_box(session, city.id, lat, lon, radius_km):
        reach = min(radius_km, store.delivery_radius_km)
        if category and category not in store.categories:
            continue
        distance = rough_km(point, (store.lat, store.lon))
        if distance <= reach:
            ranked.append((distance, store.id, store))
    ranked.sort(key=lambda item: item[:2])
    found = []
    for _, _, store in ranked:
        open_now = is_open(store.opening_hours, local_now)
        distance = exact_km(point, (store.lat, store.lon))
        if (open_only and not open_now) or distance > min(radius_km, store.delivery_radius_km):
            continue
        found.append(_read(store, distance, open_now))
        if len(found) == limit:
            break
    return NearbyStoresRead(city=city.code, stores=found)


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
                "id", "name", "chain", "categories", "address", "lat", "lon",
                "delivery_radius_km", "prep_minutes", "min_basket_fen",
            }
        ),  # fmt: skip
        distance_km=round(distance_km, 3),
        open_now=open_now,
        open_24h=is_open_24h(store.opening_hours),
    )
