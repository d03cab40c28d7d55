"""Which city serves a point."""

from functools import lru_cache
from zoneinfo import ZoneInfo

from cachetools import TTLCache
from sqlmodel import Session, select

from service.cities.models import City
from service.errors import NotFound, Unprocessable
from service.geo import rough_km


def city_for_point(*, session: Session, lat: float, lon: float) -> City:
    """The city whose service area holds (lat, lon), or 422 outside_service_area."""
    for city in session.exec(select(City).order_by(City.id)):
        if covers(city, lat, lon):
            return city
    raise Unprocessable("no city serves this address yet", code="outside_service_area", field="lat")


# A city's area and timezone change about never; a minute of staleness is harmless.
_cities: TTLCache = TTLCache(maxsize=256, ttl=60)


def cached_city(session: Session, city_id: int) -> City:
    """The city, from a per-process cache (a detached copy; do not modify it)."""
    city = _cities.get(city_id)
    if city is None:
        city = session.get(City, city_id)
        if city is None:
            raise NotFound(f"no city {city_id}", field="city_id")
        city = _cities[city_id] = City.model_validate(city.model_dump())
    return city


def city_zone(city: City) -> ZoneInfo:
    """The city's timezone, for local opening hours and local dates at the edges."""
    return zone_named(city.timezone)


@lru_cache(maxsize=64)
def zone_named(name: str) -> ZoneInfo:
    """A timezone by IANA name, loaded once."""
    return ZoneInfo(name)


def covers(city: City, lat: float, lon: float) -> bool:
    """True if (lat, lon) is inside the city's service area."""
    return rough_km((city.center_lat, city.center_lon), (lat, lon)) <= city.service_radius_km
