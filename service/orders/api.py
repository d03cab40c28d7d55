"""Consumer order routes: place (idempotent), read, list, cancel."""

from flask import Blueprint, request
from sqlalchemy import select
from sqlmodel import col

from service.auth.models import Role
from service.orders.checkout import checkout
from service.orders.lifecycle import cancel_order, own_order
from service.orders.models import Order
from service.orders.schemas import (
    CancelIn,
    OrderIn,
    OrderPlacedRead,
    OrderRead,
    OrdersQuery,
    OrdersRead,
)
from service.orders.views import order_read
from service.payments.cashier import pay_again
from service.payments.schemas import PayIn, PaymentRead
from service.web.auth import BEARER, caller, require
from service.web.context import clock, database, db_session, read_only
from service.web.keys import DESCRIPTION, answered_once, idempotency_key
from service.web.spec import ID, Resp, header, spec

bp = Blueprint("orders", __name__, url_prefix="/v1/orders")
ERRORS = {
    "HTTP_400": None,
    "HTTP_401": None,
    "HTTP_403": None,
    "HTTP_404": None,
    "HTTP_409": None,
    "HTTP_422": None,
}


# Its own units of work write (around a provider call): the request's session only reads.
@bp.post("")
@read_only
@header("Idempotency-Key", DESCRIPTION)
@require(Role.CONSUMER)
@spec.validate(
    json=OrderIn, resp=Resp(HTTP_201=OrderPlacedRead, **ERRORS), tags=["orders"], security=BEARER
)
def place():
    """Place an order; the Idempotency-Key header makes retries safe."""
    status, body = checkout(
        database(),
        consumer_id=caller().principal_id,
        order_in=request.context.json,
        key=idempotency_key(required=True),
        now=clock().now(),
        client_ip=request.remote_addr,  # the client's, once ProxyFix read the trusted proxy's
    )
    return body, status


@bp.get(f"/<{ID}:order_id>")
@require(Role.CONSUMER)
@spec.validate(resp=Resp(HTTP_200=OrderRead, **ERRORS), tags=["orders"], security=BEARER)
def show(order_id: int):
    """One of my orders, with its timeline."""
    session = db_session()
    return order_read(
        session, own_order(session, consumer_id=caller().principal_id, order_id=order_id)
    )


@bp.get("")
@require(Role.CONSUMER)
@spec.validate(
    query=OrdersQuery, resp=Resp(HTTP_200=OrdersRead, **ERRORS), tags=["orders"], security=BEARER
)
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
@header("Idempotency-Key", f"optional: {DESCRIPTION}", required=False)
@require(Role.CONSUMER)
@spec.validate(
    json=CancelIn, resp=Resp(HTTP_200=OrderRead, **ERRORS), tags=["orders"], security=BEARER
)
def cancel(order_id: int):
    """Cancel from AWAITING_PAYMENT, PLACED, ACCEPTED or READY; stock, coupon and money go back."""
    session, consumer_id, now = db_session(), caller().principal_id, clock().now()
    body: CancelIn = request.context.json

    def answer() -> tuple[int, dict]:
        order = own_order(session, consumer_id=consumer_id, order_id=order_id)
        cancel_order(
            session=session,
            order=order,
            reason=body.reason,
            actor_role="consumer",
            actor_id=consumer_id,
            now=now,
        )
        return 200, order_read(session, order).model_dump(mode="json")

    return answered_once(session, consumer_id=consumer_id, body=body, now=now, answer=answer)


# Its own units of work write (around a provider call): the request's session only reads.
@bp.post(f"/<{ID}:order_id>/pay")
@read_only
@require(Role.CONSUMER)
@spec.validate(
    json=PayIn, resp=Resp(HTTP_200=PaymentRead, **ERRORS), tags=["orders"], security=BEARER
)
def pay(order_id: int):
    """Pay again: the order's same payment, while it is open (until pay_by); the body is
    optional (payer_openid to pay by WeChat JSAPI)."""
    body: PayIn = request.context.json
    return pay_again(
        database(),
        consumer_id=caller().principal_id,
        order_id=order_id,
        now=clock().now(),
        payer_openid=body.payer_openid,
        payer_ip=request.remote_addr,
    )
