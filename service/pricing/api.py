"""POST /v1/quote: a priced basket with every step shown."""

from flask import Blueprint, request

from service.auth.models import Role
from service.orders.quoting import quote_order
from service.pricing.schemas import QuoteIn, QuoteRead
from service.web.auth import BEARER, caller, require
from service.web.context import clock, db_session, read_only
from service.web.spec import Resp, spec

bp = Blueprint("pricing", __name__, url_prefix="/v1")


@bp.post("/quote")
@read_only
@require(Role.CONSUMER)
@spec.validate(
    json=QuoteIn,
    resp=Resp(HTTP_200=QuoteRead, HTTP_401=None, HTTP_404=None, HTTP_409=None, HTTP_422=None),
    tags=["pricing"],
    security=BEARER,
)
def create_quote():
    """Subtotal, promotion, coupon, fee, payable, per-line shares and who funds what."""
    return quote_order(
        session=db_session(),
        consumer_id=caller().principal_id,
        quote_in=request.context.json,
        now=clock().now(),
    )
