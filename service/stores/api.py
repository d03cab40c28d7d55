"""Public store search."""

from flask import Blueprint, request

from service.stores.models import MenuQuery, MenuRead, NearbyQuery, NearbyStoresRead, StorePageRead
from service.stores.page import store_menu, store_page
from service.stores.service import nearby_stores
from service.web.context import clock, db_session
from service.web.spec import ID, Resp, spec

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


@bp.get(f"/<{ID}:store_id>")
@spec.validate(resp=Resp(HTTP_200=StorePageRead, HTTP_404=None), tags=["stores"])
def page(store_id: int):
    """One store: hours in the city's zone, open now, delivery terms, its open campaigns."""
    return store_page(session=db_session(), store_id=store_id, now=clock().now())


@bp.get(f"/<{ID}:store_id>/products")
@spec.validate(
    query=MenuQuery, resp=Resp(HTTP_200=MenuRead, HTTP_404=None, HTTP_422=None), tags=["stores"]
)
def menu(store_id: int):
    """The store's products with price and availability (in / low / out), by category."""
    q: MenuQuery = request.context.query
    return store_menu(
        session=db_session(), store_id=store_id, category=q.category, q=q.q, now=clock().now()
    )
