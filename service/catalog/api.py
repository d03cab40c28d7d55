"""Public product search near a point."""

from flask import Blueprint, current_app, request

from service.catalog.schemas import SearchQuery, SearchRead
from service.catalog.service import search_products
from service.web.context import clock, db_connection, hot
from service.web.spec import Resp, documented_only, spec

bp = Blueprint("catalog", __name__, url_prefix="/v1/products")


@bp.get("/search")
# Reads only, none needing another's snapshot (the stock the shelves read after the stores'
# versions is at least as new as those versions), each a prebuilt statement on the request's
# Core connection: PostgreSQL is spared BEGIN and COMMIT, and the ORM session its set-up.
@hot
@documented_only
@spec.validate(query=SearchQuery, resp=Resp(HTTP_200=SearchRead, HTTP_422=None), tags=["catalog"],
               skip_validation=True)  # fmt: skip
def search():
    """Products deliverable to the point within the promise, each with its best store now."""
    # Validated here and serialised once, as the document describes them (tests check answers
    # against it): spectree's generic passes cost a twentieth of a search.
    query = SearchQuery.model_validate(request.args.to_dict())
    found = search_products(session=db_connection(), query=query, now=clock().now())
    return current_app.response_class(found.model_dump_json(), mimetype="application/json")
