"""Consumer routes: campaigns open to claim, claiming a pack, my coupons."""

from flask import Blueprint, request

from service.auth.models import Role
from service.auth.verified import ensure_phone_verified
from service.campaigns.browse import my_coupons, open_campaigns
from service.campaigns.claims import claim_pack
from service.campaigns.schemas import (
    ClaimIn,
    ClaimRead,
    CouponsQuery,
    CouponsRead,
    OpenCampaignsQuery,
    OpenCampaignsRead,
    UpcomingRead,
)
from service.campaigns.upcoming import upcoming_batches
from service.web.auth import BEARER, caller, require
from service.web.context import clock, db_session
from service.web.keys import DESCRIPTION, answered_once
from service.web.spec import ID, Resp, header, spec

bp = Blueprint("campaigns", __name__, url_prefix="/v1")
ERRORS = {"HTTP_401": None, "HTTP_403": None, "HTTP_404": None, "HTTP_409": None}


@bp.get("/campaigns/open")
@require(Role.CONSUMER)
@spec.validate(
    query=OpenCampaignsQuery,
    resp=Resp(HTTP_200=OpenCampaignsRead, **ERRORS),
    tags=["campaigns"],
    security=BEARER,
)
def list_open():
    """Campaigns of the city at the given point with a batch open for claims now."""
    q: OpenCampaignsQuery = request.context.query
    return open_campaigns(
        session=db_session(),
        consumer_id=caller().principal_id,
        lat=q.lat,
        lon=q.lon,
        now=clock().now(),
    )


@bp.post(f"/campaigns/<{ID}:campaign_id>/claim")
@header("Idempotency-Key", f"optional: {DESCRIPTION}", required=False)
@require(Role.CONSUMER)
@spec.validate(
    json=ClaimIn, resp=Resp(HTTP_201=ClaimRead, **ERRORS), tags=["campaigns"], security=BEARER
)
def claim(campaign_id: int):
    """Claim one pack from the campaign's open batch (one per consumer per batch)."""
    session, consumer_id, now = db_session(), caller().principal_id, clock().now()
    body: ClaimIn = request.context.json
    ensure_phone_verified(session=session, token=caller())

    def answer() -> tuple[int, ClaimRead]:
        claimed = claim_pack(
            session=session,
            consumer_id=consumer_id,
            campaign_id=campaign_id,
            lat=body.lat,
            lon=body.lon,
            now=now,
        )
        return 201, claimed

    return answered_once(session, consumer_id=consumer_id, body=body, now=now, answer=answer)


@bp.get("/coupons")
@require(Role.CONSUMER)
@spec.validate(
    query=CouponsQuery,
    resp=Resp(HTTP_200=CouponsRead, HTTP_401=None),
    tags=["campaigns"],
    security=BEARER,
)
def coupons():
    """My coupons with status and validity, newest first."""
    q: CouponsQuery = request.context.query
    found = my_coupons(session=db_session(), consumer_id=caller().principal_id, status=q.status)
    return CouponsRead(coupons=found)


@bp.get("/campaigns/upcoming")
@spec.validate(
    query=OpenCampaignsQuery, resp=Resp(HTTP_200=UpcomingRead, HTTP_422=None), tags=["campaigns"]
)
def upcoming():
    """Public: each campaign's next claim window at the point (the countdown to the next drop)."""
    q: OpenCampaignsQuery = request.context.query
    return upcoming_batches(session=db_session(), lat=q.lat, lon=q.lon, now=clock().now())
