"""Public product search near a point."""

from flask import Blueprint, request

from service.catalog.schemas import SearchQuery, SearchRead
from service.catalog.service import search_products
from service.web.context import clock, db_session
from service.web.spec import Resp, spec

bp = Blueprint("catalog", __name__, url_prefix="/v1/products")


@bp.get("/search")
@spec.validate(query=SearchQuery, resp=Resp(HTTP_200=SearchRead, HTTP_422=None), tags=["catalog"])
def search():
    """Products deliverable to the point within the promise, each with its best store now."""
    return search_products(session=db_session(), query=request.context.query, now=clock().now())
