"""The operator console page (/admin) and its reads."""

from flask import Blueprint, jsonify, render_template

from service.auth.models import Role
from service.checks.service import last_run
from service.console import service
from service.web.auth import BEARER, require
from service.web.context import clock, db_session
from service.web.operator import current_operator
from service.web.spec import ID, Resp, spec

bp = Blueprint("console", __name__)
RESP = Resp(HTTP_200=None, HTTP_401=None, HTTP_403=None, HTTP_404=None)


@bp.get("/admin")
def page():
    """The console; it signs in with an operator token and reads the API."""
    return render_template("admin.html")


@bp.get("/v1/admin/campaigns")
@require(Role.OPERATOR)
@spec.validate(resp=RESP, tags=["operators"], security=BEARER)
def campaigns():
    """The operator's campaigns with claim and budget figures, for the console's bars."""
    found = service.campaigns_overview(session=db_session(), operator=current_operator())
    return jsonify({"campaigns": found})


@bp.get(f"/v1/admin/cities/<{ID}:city_id>/board")
@require(Role.OPERATOR)
@spec.validate(resp=RESP, tags=["operators"], security=BEARER)
def board(city_id: int):
    """A city's store map by state and the lists that need an operator."""
    found = service.city_board(
        session=db_session(), operator=current_operator(), city_id=city_id, now=clock().now()
    )
    return jsonify(found)


@bp.get("/v1/admin/invariants")
@require(Role.OPERATOR)
@spec.validate(resp=RESP, tags=["operators"], security=BEARER)
def invariants():
    """The last money/stock/history check: when it ran and every difference it found."""
    current_operator()  # an operator of any city may see them: they are the platform's
    return jsonify(last_run(session=db_session()))
