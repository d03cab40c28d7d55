"""Public place routes: find a place by name; name the place nearest a point."""

from dataclasses import asdict

from flask import Blueprint, request

from service.cities.service import city_for_point
from service.places.schemas import NearestQuery, NearestRead, PlaceQuery, PlaceRead, PlacesRead
from service.places.service import geocode, nearest_place
from service.web.context import db_session
from service.web.spec import Resp, spec

bp = Blueprint("places", __name__, url_prefix="/v1/places")


@bp.get("/search")
@spec.validate(query=PlaceQuery, resp=Resp(HTTP_200=PlacesRead, HTTP_422=None), tags=["places"])
def search():
    """Places (districts, streets, landmarks) whose name holds every word typed, each a point
    to deliver to; an empty list when none does."""
    q: PlaceQuery = request.context.query
    hits = geocode(db_session(), q=q.q, city_code=q.city, limit=q.limit)
    return PlacesRead(items=[PlaceRead(**asdict(hit)) for hit in hits])


@bp.get("/nearest")
@spec.validate(query=NearestQuery, resp=Resp(HTTP_200=NearestRead, HTTP_422=None), tags=["places"])
def nearest():
    """The named place nearest a point (to show "use my location" by name); 422
    outside_service_area when no city serves the point."""
    q: NearestQuery = request.context.query
    session = db_session()
    city = city_for_point(session=session, lat=q.lat, lon=q.lon)
    hit = nearest_place(session, city_id=city.id, lat=q.lat, lon=q.lon)
    return NearestRead(city_code=city.code, place=PlaceRead(**asdict(hit)) if hit else None)
