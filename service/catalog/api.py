"""Public product search near a point."""

from flask import Blueprint

from service.catalog.schemas import SearchQuery, SearchRead
from service.catalog.service import search_products
from service.web.context import clock, db_session
from service.web.spec import Resp, query_of, spec

bp = Blueprint("catalog", __name__, url_prefix="/v1/products")


@bp.get("/search")
@spec.validate(
    query=SearchQuery,
    resp=Resp(HTTP_200=SearchRead, HTTP_422=None),
    tags=["catalog"],
    skip_validation=True,  # a busy route: query_of validates (service.web.spec)
)
def search():
    """Products deliverable to the point within the promise, each with its best store now."""
    return search_products(session=db_session(), query=query_of(SearchQuery), now=clock().now())
