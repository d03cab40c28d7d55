"""Consumer order routes: place (idempotent), read, list, cancel."""

from flask import Blueprint, request
from sqlalchemy import select
from sqlmodel import col

from service.auth.models import Role
from service.errors import MalformedRequest
from service.orders.lifecycle import cancel_order, own_order
from service.orders.models import Order
from service.orders.placement import place_order
from service.orders.schemas import (
    CancelIn,
    OrderIn,
    OrderPlacedRead,
    OrderRead,
    OrdersQuery,
    OrdersRead,
)
from service.orders.views import order_read
from service.web.auth import BEARER, caller, require
from service.web.context import clock, db_session
from service.web.spec import ID, Resp, header, spec

bp = Blueprint("orders", __name__, url_prefix="/v1/orders")
ERRORS = {"HTTP_400": None, "HTTP_401": None, "HTTP_403": None, "HTTP_404": None,
          "HTTP_409": None, "HTTP_422": None}  # fmt: skip


@bp.post("")
@header("Idempotency-Key", "1-128 characters naming this attempt; a retry sends the same key")
@require(Role.CONSUMER)
@spec.validate(json=OrderIn, resp=Resp(HTTP_201=OrderPlacedRead, **ERRORS), tags=["orders"],
               security=BEARER)  # fmt: skip
def place():
    """Place an order; the Idempotency-Key header makes retries safe."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 128:
        raise MalformedRequest("send an Idempotency-Key header (1-128 characters)",
                               code="missing_idempotency_key", field="Idempotency-Key")  # fmt: skip
    status, body = place_order(
        session=db_session(),
        consumer_id=caller().principal_id,
        order_in=request.context.json,
        key=key,
        now=clock().now(),
    )
    return body, status


@bp.get(f"/<{ID}:order_id>")
@require(Role.CONSUMER)
@spec.validate(resp=Resp(HTTP_200=OrderRead, **ERRORS), tags=["orders"], security=BEARER)
def show(order_id: int):
    """One of my orders, with its timeline."""
    session = db_session()
    return order_read(session, own_order(session, consumer_id=caller().principal_id,
                                         order_id=order_id))  # fmt: skip


@bp.get("")
@require(Role.CONSUMER)
@spec.validate(query=OrdersQuery, resp=Resp(HTTP_200=OrdersRead, **ERRORS), tags=["orders"],
               security=BEARER)  # fmt: skip
def mine():
    """My orders, newest first; pass `before` = the last id seen for the next page."""
    q: OrdersQuery = request.context.query
    session = db_session()
    query = select(Order).where(col(Order.consumer_id) == caller().principal_id)
    if q.before:
        query = query.where(col(Order.id) < q.before)
    orders = session.execute(query.order_by(col(Order.id).desc()).limit(q.limit)).scalars().all()
    next_before = orders[-1].id if len(orders) == q.limit else None
    return OrdersRead(orders=[order_read(session, o) for o in orders], next_before=next_before)


@bp.post(f"/<{ID}:order_id>/cancel")
@require(Role.CONSUMER)
@spec.validate(json=CancelIn, resp=Resp(HTTP_200=OrderRead, **ERRORS), tags=["orders"],
               security=BEARER)  # fmt: skip
def cancel(order_id: int):
    """Cancel from PLACED, ACCEPTED or READY; stock, coupon and money go back."""
    session = db_session()
    order = own_order(session, consumer_id=caller().principal_id, order_id=order_id)
    cancel_order(
        session=session,
        order=order,
        reason=request.context.json.reason,
        actor_role="consumer",
        actor_id=caller().principal_id,
        now=clock().now(),
    )
    return order_read(session, order)
