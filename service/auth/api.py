"""GET /v1/me: who am I."""

from flask import Blueprint

from service.auth.models import MeRead
from service.auth.service import describe_caller
from service.web.auth import BEARER, caller, require
from service.web.context import db_session
from service.web.spec import Resp, spec

bp = Blueprint("auth", __name__, url_prefix="/v1")


@bp.get("/me")
@require()
@spec.validate(resp=Resp(HTTP_200=MeRead, HTTP_401=None), tags=["auth"], security=BEARER)
def me():
    """Who the bearer token speaks for, and in which role."""
    return describe_caller(session=db_session(), token=caller())
