"""Tracking (owner token or share token) and the operators' delivery routes."""

from flask import Blueprint, request

from service.auth.models import Role
from service.deliveries import ops, tracking
from service.deliveries.lifecycle import delivery_of
from service.deliveries.schemas import (
    FiguresQuery,
    FiguresRead,
    LateOrdersRead,
    OpsDeliveriesRead,
    OpsDeliveryRead,
    TrackingQuery,
    TrackingRead,
)
from service.deliveries.views import late_order_read, ops_delivery_read
from service.errors import NotFound
from service.orders.lifecycle import own_order
from service.orders.models import Order
from service.people.models import Operator
from service.web.auth import BEARER, caller, require
from service.web.context import clock, db_session
from service.web.spec import ID, Resp, spec

bp = Blueprint("deliveries", __name__)
ERRORS = {"HTTP_401": None, "HTTP_403": None, "HTTP_404": None, "HTTP_409": None, "HTTP_422": None}
OPS = "/v1/ops/deliveries"


@bp.get(f"/v1/orders/<{ID}:order_id>/tracking")
@spec.validate(
    query=TrackingQuery,
    resp=Resp(HTTP_200=TrackingRead, HTTP_410=None, **ERRORS),
    tags=["tracking"],
    security=BEARER,
)
def track(order_id: int):
    """Track my order (my token), or any order by its link's `share` token (no consumer data)."""
    share = request.context.query.share
    if share is None:
        return _track_owned(order_id)
    session, now = db_session(), clock().now()
    order, delivery = tracking.by_share_token(session, share, now)
    if order.id != order_id:
        raise NotFound("no such tracking link for this order", field="share")
    return TrackingRead(
        **tracking.tracking(session=session, order=order, delivery=delivery, owner=False, now=now)
    )


track.optional_bearer = True  # the owner's token, or none with the link's share token


@require(Role.CONSUMER)
def _track_owned(order_id: int):
    session, now = db_session(), clock().now()
    order = own_order(session, consumer_id=caller().principal_id, order_id=order_id)
    return TrackingRead(
        **tracking.tracking(
            session=session,
            order=order,
            delivery=delivery_of(session, order.id),
            owner=True,
            now=now,
        )
    )


@bp.get("/v1/tracking/<string(length=43):share>")
@spec.validate(resp=Resp(HTTP_200=TrackingRead, HTTP_410=None, **ERRORS), tags=["tracking"])
def track_shared(share: str):
    """Track an order by its tracking link alone (what /track/<token> polls)."""
    session, now = db_session(), clock().now()
    order, delivery = tracking.by_share_token(session, share, now)
    return TrackingRead(
        **tracking.tracking(session=session, order=order, delivery=delivery, owner=False, now=now)
    )


def _operator() -> Operator:
    return db_session().get(Operator, caller().principal_id)


def _settle(action, delivery_id: int) -> OpsDeliveryRead:
    session = db_session()
    delivery = action(
        session=session, operator=_operator(), delivery_id=delivery_id, now=clock().now()
    )
    return ops_delivery_read(session, delivery, session.get(Order, delivery.order_id))


@bp.post(f"{OPS}/<{ID}:delivery_id>/unlock")
@require(Role.OPERATOR)
@spec.validate(resp=Resp(HTTP_200=OpsDeliveryRead, **ERRORS), tags=["operators"], security=BEARER)
def unlock(delivery_id: int):
    """Clear a wrong-code lock (audited)."""
    return _settle(ops.unlock, delivery_id)


@bp.post(f"{OPS}/<{ID}:delivery_id>/refund")
@require(Role.OPERATOR)
@spec.validate(resp=Resp(HTTP_200=OpsDeliveryRead, **ERRORS), tags=["operators"], security=BEARER)
def refund(delivery_id: int):
    """Refund a failed delivery; the order is cancelled (audited)."""
    return _settle(ops.refund_failed, delivery_id)


@bp.post(f"{OPS}/<{ID}:delivery_id>/redeliver")
@require(Role.OPERATOR)
@spec.validate(resp=Resp(HTTP_200=OpsDeliveryRead, **ERRORS), tags=["operators"], security=BEARER)
def redeliver(delivery_id: int):
    """Try the door again: dispatched afresh to another courier, or to the same one only when
    no other could take it now (audited, `dispatch` says which)."""
    return _settle(ops.redeliver, delivery_id)


@bp.get(f"{OPS}/failed")
@require(Role.OPERATOR)
@spec.validate(resp=Resp(HTTP_200=OpsDeliveriesRead, **ERRORS), tags=["operators"], security=BEARER)
def failed_queue():
    """Failed deliveries waiting for a refund or a new attempt."""
    session = db_session()
    rows = ops.failed_queue(session=session, operator=_operator())
    return OpsDeliveriesRead(deliveries=[ops_delivery_read(session, d, o) for d, o in rows])


@bp.get("/v1/ops/late-orders")
@require(Role.OPERATOR)
@spec.validate(resp=Resp(HTTP_200=LateOrdersRead, **ERRORS), tags=["operators"], security=BEARER)
def late_orders():
    """Orders past their promised time and not yet delivered."""
    session, now = db_session(), clock().now()
    orders = ops.late_orders(session=session, operator=_operator(), now=now)
    return LateOrdersRead(orders=[late_order_read(session, o, now) for o in orders])


@bp.get("/v1/ops/delivery-figures")
@require(Role.OPERATOR)
@spec.validate(
    query=FiguresQuery,
    resp=Resp(HTTP_200=FiguresRead, **ERRORS),
    tags=["operators"],
    security=BEARER,
)
def figures():
    """On-time rate, median and p90 minutes order-to-door per city and store, over a range."""
    q: FiguresQuery = request.context.query
    return ops.figures(
        session=db_session(), operator=_operator(), since=q.since, until=q.until, city_id=q.city_id
    )
