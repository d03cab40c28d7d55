"""Which city serves a point."""

from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlmodel import Session, select

from service import caches
from service.cities.models import City
from service.errors import NotFound, Unprocessable
from service.geo import KM_PER_DEGREE_LAT, rough_km

# A city's area and timezone change about never; a minute of staleness is harmless, and a
# point no cached area holds is looked up afresh, so a new city is found at once.
_areas = caches.ttl_cache(maxsize=1, ttl=60)
_cities = caches.ttl_cache(maxsize=256, ttl=60)
CITY = select(*City.__table__.columns).where(City.__table__.c.id == bindparam("city_id"))
AREAS = select(City.id, City.center_lat, City.center_lon, City.service_radius_km).order_by(City.id)


def city_for_point(*, session: Session, lat: float, lon: float) -> City:
    """The city whose service area holds (lat, lon), or 422 outside_service_area."""
    return cached_city(session, city_id_for_point(session=session, lat=lat, lon=lon))


def city_id_for_point(*, session: Session, lat: float, lon: float) -> int:
    """The id of the city whose service area holds (lat, lon), or 422 outside_service_area;
    `session` may be a Core connection (it is read only when the cached areas miss)."""
    areas = caches.get_or_load(_areas, "areas", lambda: session.execute(AREAS).all())
    city_id = _city_id_at(areas, lat, lon)
    if city_id is None:  # maybe a city added since: read the areas afresh, once
        caches.forget(_areas, "areas")
        areas = caches.get_or_load(_areas, "areas", lambda: session.execute(AREAS).all())
        city_id = _city_id_at(areas, lat, lon)
    if city_id is None:
        raise Unprocessable(
            "no city serves this address yet", code="outside_service_area", field="lat"
        )
    return city_id


def _city_id_at(areas: list, lat: float, lon: float) -> int | None:
    for city_id, center_lat, center_lon, radius_km in areas:
        # Cheap latitude test first: most cities are hundreds of km away.
        if abs(lat - center_lat) * KM_PER_DEGREE_LAT > radius_km:
            continue
        if rough_km((center_lat, center_lon), (lat, lon)) <= radius_km:
            return city_id
    return None


def cached_city(session: Session, city_id: int) -> City:
    """The city, from a per-process cache (a detached copy; do not modify it)."""
    return caches.get_or_load(_cities, city_id, lambda: _detached_city(session, city_id))


def _detached_city(session: Session, city_id: int) -> City:
    row = session.execute(CITY, {"city_id": city_id}).first()
    if row is None:
        raise NotFound(f"no city {city_id}", field="city_id")
    return City.model_validate(dict(row._mapping))


def city_zone(city: City) -> ZoneInfo:
    """The city's timezone, for local opening hours and local dates at the edges."""
    return zone_named(city.timezone)


def zone_of(session: Session, city_id: int) -> ZoneInfo:
    """The timezone of the city with this id (read through the session)."""
    return city_zone(session.get(City, city_id))


@lru_cache(maxsize=64)
def zone_named(name: str) -> ZoneInfo:
    """A timezone by IANA name, loaded once."""
    return ZoneInfo(name)


def covers(city: City, lat: float, lon: float) -> bool:
    """True if (lat, lon) is inside the city's service area."""
    return rough_km((city.center_lat, city.center_lon), (lat, lon)) <= city.service_radius_km
