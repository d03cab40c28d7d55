"""Operator routes: the watch lists of orders waiting on someone (a courier, a store)."""

from flask import Blueprint, request

from service.auth.models import Role
from service.deliveries import watch
from service.deliveries.schemas import SlowOrdersRead, UnassignedListRead, WatchQuery
from service.people.models import Operator
from service.web.auth import BEARER, caller, require
from service.web.context import clock, db_session
from service.web.spec import Resp, spec

bp = Blueprint("watch", __name__, url_prefix="/v1/ops")
ERRORS = {"HTTP_401": None, "HTTP_403": None, "HTTP_422": None}


def _operator() -> Operator:
    return db_session().get(Operator, caller().principal_id)


@bp.get("/unassigned")
@require(Role.OPERATOR)
@spec.validate(
    query=WatchQuery,
    resp=Resp(HTTP_200=UnassignedListRead, **ERRORS),
    tags=["operators"],
    security=BEARER,
)
def unassigned():
    """Deliveries no courier has taken 10 minutes after they began needing one."""
    items = watch.unassigned(
        session=db_session(),
        operator=_operator(),
        now=clock().now(),
        city_id=request.context.query.city_id,
    )
    return UnassignedListRead(items=items)


@bp.get("/slow-stores")
@require(Role.OPERATOR)
@spec.validate(
    query=WatchQuery,
    resp=Resp(HTTP_200=SlowOrdersRead, **ERRORS),
    tags=["operators"],
    security=BEARER,
)
def slow_stores():
    """Tablet stores' orders accepted but not ready 10 minutes past the preparation time."""
    items = watch.slow_stores(
        session=db_session(),
        operator=_operator(),
        now=clock().now(),
        city_id=request.context.query.city_id,
    )
    return SlowOrdersRead(items=items)
