"""Operator routes for stores: each store's switches and last poll; change them (audited)."""

from flask import Blueprint, request

from service.auth.models import Role
from service.errors import NotFound
from service.people.models import Operator
from service.stores.models import Store
from service.tablet import switches
from service.tablet.schemas import IntakeIn, StoreStateRead
from service.web.auth import BEARER, caller, require
from service.web.context import clock, db_session
from service.web.spec import ID, Resp, spec

bp = Blueprint("store_admin", __name__, url_prefix="/v1/operator/stores")
ERRORS = {"HTTP_401": None, "HTTP_403": None, "HTTP_404": None, "HTTP_422": None}


def _visible_store(store_id: int) -> Store:
    """A store of the operator's city (platform operators: any); otherwise 404."""
    session = db_session()
    store = session.get(Store, store_id)
    home = session.get(Operator, caller().principal_id).city_id
    if store is None or (home is not None and store.city_id != home):
        raise NotFound(f"no store {store_id}", field="store_id")
    return store


@bp.get(f"/<{ID}:store_id>")
@require(Role.OPERATOR)
@spec.validate(resp=Resp(HTTP_200=StoreStateRead, **ERRORS), tags=["operator"], security=BEARER)
def show(store_id: int):
    """A store's intake mode, pause switch, deadline flag and its tablet's last poll."""
    return switches.store_state(db_session(), _visible_store(store_id))


@bp.patch(f"/<{ID}:store_id>")
@require(Role.OPERATOR)
@spec.validate(
    json=IntakeIn, resp=Resp(HTTP_200=StoreStateRead, **ERRORS), tags=["operator"], security=BEARER
)
def change(store_id: int):
    """Set intake_mode (tablet | auto_accept), paused (false also clears a flag), deadline."""
    store = _visible_store(store_id)
    return switches.change_store(
        session=db_session(),
        store_id=store.id,
        change=request.context.json,
        operator_id=caller().principal_id,
        now=clock().now(),
    )
