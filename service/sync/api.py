"""Operator routes: the sync state of every store, and one store's sync run now."""

from flask import Blueprint, request

from service.auth.models import Role
from service.clock import speed_of
from service.people.models import Operator
from service.sync import admin
from service.sync.schemas import SyncNowIn, SyncOverviewRead, SyncRunRead
from service.web.auth import BEARER, caller, require
from service.web.context import clock, database, db_session, read_only
from service.web.spec import ID, Resp, spec

bp = Blueprint("sync_admin", __name__, url_prefix="/v1/admin/sync")
ERRORS = {"HTTP_401": None, "HTTP_403": None, "HTTP_404": None}


def _operator() -> Operator:
    return db_session().get(Operator, caller().principal_id)


@bp.get("")
@require(Role.OPERATOR)
@spec.validate(resp=Resp(HTTP_200=SyncOverviewRead, **ERRORS), tags=["operators"], security=BEARER)
def overview():
    """Per synced store: kind, interval, last success and error, rows, backoff, next run."""
    stores = admin.sync_overview(
        session=db_session(), operator=_operator(), now=clock().now(), speed=speed_of(clock())
    )
    return SyncOverviewRead(stores=stores)


@bp.post(f"/<{ID}:store_id>")
@read_only  # the request only reads; the sync writes in its own short transaction, after the fetch
@require(Role.OPERATOR)
@spec.validate(
    json=SyncNowIn, resp=Resp(HTTP_200=SyncRunRead, **ERRORS), tags=["operators"], security=BEARER
)
def sync_now(store_id: int):
    """Run one store's sync now; `force` applies a feed refused as truncated."""
    body = request.context.json
    run = admin.sync_store_now(
        session=db_session(),
        database=database(),
        operator=_operator(),
        store_id=store_id,
        now=clock().now(),
        force=body.force,
    )
    return admin.run_read(run)
