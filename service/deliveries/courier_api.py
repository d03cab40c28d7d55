"""Courier routes (courier token): online switch, location, offers, the job from store to door."""

from flask import Blueprint, request

from service.auth.models import Role
from service.deliveries import courier, handoff
from service.deliveries.handoff import CodeRefused
from service.deliveries.schemas import (
    CodeIn,
    CourierRead,
    DeliveriesRead,
    DeliveryRead,
    FailedIn,
    LocationIn,
)
from service.deliveries.views import delivery_read
from service.web.auth import BEARER, caller, require
from service.web.context import clock, db_session
from service.web.errors import error_body
from service.web.spec import ID, Resp, body_of, spec

bp = Blueprint("courier", __name__, url_prefix="/v1/courier")
ERRORS = {"HTTP_401": None, "HTTP_403": None, "HTTP_404": None, "HTTP_409": None, "HTTP_422": None}
DELIVERY = f"/deliveries/<{ID}:delivery_id>"


def _me() -> int:
    return caller().principal_id


def _switch(online: bool):
    return CourierRead.model_validate(
        courier.set_online(session=db_session(), courier_id=_me(), online=online),
        from_attributes=True,
    )


@bp.post("/online")
@require(Role.COURIER)
@spec.validate(resp=Resp(HTTP_200=CourierRead, **ERRORS), tags=["couriers"], security=BEARER)
def online():
    """Go online: dispatch may offer me jobs (once my location is fresh)."""
    return _switch(True)


@bp.post("/offline")
@require(Role.COURIER)
@spec.validate(resp=Resp(HTTP_200=CourierRead, **ERRORS), tags=["couriers"], security=BEARER)
def offline():
    """Go offline: no new offers; jobs I hold stay mine."""
    return _switch(False)


@bp.put("/location")
@require(Role.COURIER)
@spec.validate(
    json=LocationIn,
    resp=Resp(HTTP_204=None, **ERRORS),
    tags=["couriers"],
    security=BEARER,
    skip_validation=True,  # a busy route: body_of validates (service.web.spec)
)
def location():
    """My position now; a 2xx means it is committed and tracking shows it. `X-Courier-Held`
    says how many deliveries I hold, offers included: more than I carry means an offer waits."""
    point = body_of(LocationIn)
    held = courier.update_location(
        session=db_session(),
        courier_id=_me(),
        lat=point.lat,
        lon=point.lon,
        accuracy_m=point.accuracy_m,
        heading=point.heading,
        now=clock().now(),
    )
    return "", 204, {"X-Courier-Held": str(held)}


@bp.get("/offers")
@require(Role.COURIER)
@spec.validate(resp=Resp(HTTP_200=DeliveriesRead, **ERRORS), tags=["couriers"], security=BEARER)
def offers():
    """My open offers, each with the seconds left to accept it."""
    session, now = db_session(), clock().now()
    found = courier.offers(session=session, courier_id=_me(), now=now)
    return DeliveriesRead(deliveries=[delivery_read(session, d, now) for d in found])


def _act(action, **extra) -> DeliveryRead:
    session, now = db_session(), clock().now()
    delivery = action(session=session, courier_id=_me(), now=now, **extra)
    return delivery_read(session, delivery, now)


@bp.post(f"/offers/<{ID}:delivery_id>/accept")
@require(Role.COURIER)
@spec.validate(resp=Resp(HTTP_200=DeliveryRead, **ERRORS), tags=["couriers"], security=BEARER)
def accept(delivery_id: int):
    """Take an offer before it expires (409 offer_expired after)."""
    return _act(courier.accept_offer, delivery_id=delivery_id)


@bp.post(f"/offers/<{ID}:delivery_id>/decline")
@require(Role.COURIER)
@spec.validate(resp=Resp(HTTP_200=DeliveryRead, **ERRORS), tags=["couriers"], security=BEARER)
def decline(delivery_id: int):
    """Hand an offer back; it will not be offered to me again."""
    return _act(courier.decline_offer, delivery_id=delivery_id)


@bp.get("/deliveries/current")
@require(Role.COURIER)
@spec.validate(resp=Resp(HTTP_200=DeliveriesRead, **ERRORS), tags=["couriers"], security=BEARER)
def current():
    """The jobs I carry: store, address, items count, the order number the store asks for."""
    session, now = db_session(), clock().now()
    held = handoff.current(session=session, courier_id=_me())
    return DeliveriesRead(deliveries=[delivery_read(session, d, now, o) for d, o in held])


@bp.post(f"{DELIVERY}/arrived-at-store")
@require(Role.COURIER)
@spec.validate(resp=Resp(HTTP_200=DeliveryRead, **ERRORS), tags=["couriers"], security=BEARER)
def arrived(delivery_id: int):
    """I am at the store (its feed shows it)."""
    return _act(handoff.arrived, delivery_id=delivery_id)


@bp.post(f"{DELIVERY}/picked-up")
@require(Role.COURIER)
@spec.validate(resp=Resp(HTTP_200=DeliveryRead, **ERRORS), tags=["couriers"], security=BEARER)
def picked_up(delivery_id: int):
    """I have the goods (only once the order is READY)."""
    return _act(handoff.picked_up, delivery_id=delivery_id)


@bp.post(f"{DELIVERY}/delivered")
@require(Role.COURIER)
@spec.validate(
    json=CodeIn, resp=Resp(HTTP_200=DeliveryRead, **ERRORS), tags=["couriers"], security=BEARER
)
def delivered(delivery_id: int):
    """Handed over against the consumer's 4-digit code; a wrong code is 422 and counted."""
    session, now = db_session(), clock().now()
    outcome = handoff.delivered(
        session=session,
        courier_id=_me(),
        delivery_id=delivery_id,
        code=request.context.json.code,
        now=now,
    )
    if isinstance(outcome, CodeRefused):
        # Returned, not raised: the count must be committed with this answer.
        return error_body(
            outcome.code,
            outcome.message,
            "code",
            wrong_codes=outcome.wrong_codes,
            locked=outcome.locked,
        ), 422
    return delivery_read(session, outcome, now)


@bp.post(f"{DELIVERY}/failed")
@require(Role.COURIER)
@spec.validate(
    json=FailedIn, resp=Resp(HTTP_200=DeliveryRead, **ERRORS), tags=["couriers"], security=BEARER
)
def failed(delivery_id: int):
    """Nobody answered at the door: the order goes to the operators' queue."""
    return _act(handoff.failed, delivery_id=delivery_id, reason=request.context.json.reason)
