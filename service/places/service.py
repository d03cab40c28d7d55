"""Geocoding: a name typed by a person -> points with their place names, and a point -> the
nearest named place. Both go through the gazetteer (fixtures/places.json, indexed by
migration 0014b); `geocode` is the one function a real geocoder (geopy's BaiduV3, say) would
sit behind, returning the same PlaceHit values.
"""

from dataclasses import dataclass

from sqlalchemy import and_, column, literal_column, select, text
from sqlmodel import Session, col

from service.cities.models import City
from service.db.search_objects import PLACES_TABLE
from service.geo import rough_km
from service.places.models import Place

MIN_INDEXED = 3  # the trigram index serves words of 3+ characters
# Exactly the indexed expression of migration 0014b (PostgreSQL's trigram index).
PLACE_TEXT = literal_column("(places.name || ' ' || places.district)")
KIND_ORDER = {"district": 0, "landmark": 1, "street": 2}


@dataclass(frozen=True)
class PlaceHit:
    name: str
    kind: str
    district: str
    city_code: str
    city_name: str
    lat: float
    lon: float


def geocode(
    session: Session, *, q: str, city_code: str | None = None, limit: int = 10
) -> list[PlaceHit]:
    """Places whose name (or district) holds every word of `q`, exact names first."""
    words = list(dict.fromkeys(q.split()))
    if not words:
        return []
    query = (
        select(Place, City.code, City.name)
        .join(City, col(City.id) == col(Place.city_id))
        .where(and_(*(_holds(session, word) for word in words)))
    )
    if city_code:
        query = query.where(col(City.code) == city_code)
    rows = session.execute(query.limit(200)).all()
    rows.sort(
        key=lambda r: (
            r[0].name != q.strip(),
            KIND_ORDER.get(r[0].kind, 3),
            len(r[0].name),
            r[0].id,
        )
    )
    return [_hit(place, code, name) for place, code, name in rows[:limit]]


def nearest_place(session: Session, *, city_id: int, lat: float, lon: float) -> PlaceHit | None:
    """The named place of the city nearest the point (what a dropped pin is called)."""
    rows = session.execute(
        select(Place, City.code, City.name)
        .join(City, col(City.id) == col(Place.city_id))
        .where(col(Place.city_id) == city_id, col(Place.kind) != "district")
    ).all()
    if not rows:
        return None
    place, code, name = min(rows, key=lambda r: rough_km((lat, lon), (r[0].lat, r[0].lon)))
    return _hit(place, code, name)


def _holds(session: Session, word: str):
    """ "name or district holds word", through the engine's trigram index where it can serve."""
    if len(word) >= MIN_INDEXED and session.get_bind().dialect.name == "sqlite":
        phrase = '"' + word.replace('"', '""') + '"'
        ids = text(f"SELECT rowid FROM {PLACES_TABLE} WHERE {PLACES_TABLE} MATCH :phrase")
        return col(Place.id).in_(ids.bindparams(phrase=phrase).columns(column("rowid")))
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return PLACE_TEXT.ilike(f"%{escaped}%", escape="\\")


def _hit(place: Place, city_code: str, city_name: str) -> PlaceHit:
    return PlaceHit(
        name=place.name,
        kind=place.kind,
        district=place.district,
        city_code=city_code,
        city_name=city_name,
        lat=place.lat,
        lon=place.lon,
    )
