"""Public store search."""

from flask import Blueprint, request

from service.stores.models import NearbyQuery, NearbyStoresRead
from service.stores.service import nearby_stores
from service.web.context import clock, db_session
from service.web.spec import Resp, spec

bp = Blueprint("stores", __name__, url_prefix="/v1/stores")


@bp.get("/nearby")
@spec.validate(
    query=NearbyQuery, resp=Resp(HTTP_200=NearbyStoresRead, HTTP_422=None), tags=["stores"]
)
def nearby():
    """Stores that deliver to the point, nearest first, each with open_now."""
    q: NearbyQuery = request.context.query
    return nearby_stores(
        session=db_session(),
        lat=q.lat,
        lon=q.lon,
        radius_km=q.radius_km,
        category=q.category,
        open_only=q.open,
        limit=q.limit,
        now=clock().now(),
    )
