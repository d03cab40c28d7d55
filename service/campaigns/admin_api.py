"""Operator routes: set up campaigns, their batches and pack templates; pause and resume."""

from flask import Blueprint, request

from service.auth.models import Role
from service.campaigns import admin, parts
from service.campaigns.schemas import (
    BatchCreate,
    BatchRead,
    CampaignCreate,
    CampaignRead,
    CampaignUpdate,
    TemplateCreate,
    TemplateRead,
)
from service.campaigns.views import batch_read, campaign_read, template_read
from service.cities.service import zone_of
from service.web.auth import BEARER, current_operator, require
from service.web.context import clock, db_session
from service.web.spec import ID, Resp, spec

bp = Blueprint("campaign_admin", __name__, url_prefix="/v1/campaigns")
ERRORS = {"HTTP_401": None, "HTTP_403": None, "HTTP_404": None, "HTTP_409": None}


def _read(campaign) -> CampaignRead:
    session = db_session()
    batches, templates = parts.campaign_parts(session, campaign.id)
    return campaign_read(campaign, batches, templates, zone_of(session, campaign.city_id))


@bp.post("")
@require(Role.OPERATOR)
@spec.validate(
    json=CampaignCreate,
    resp=Resp(HTTP_201=CampaignRead, **ERRORS),
    tags=["operators"],
    security=BEARER,
)
def create():
    """Create a campaign for a city (city operators: their own city only)."""
    campaign = admin.create_campaign(
        session=db_session(),
        operator=current_operator(),
        campaign_in=request.context.json,
        now=clock().now(),
    )
    return _read(campaign), 201


@bp.get(f"/<{ID}:campaign_id>")
@require(Role.OPERATOR)
@spec.validate(resp=Resp(HTTP_200=CampaignRead, **ERRORS), tags=["operators"], security=BEARER)
def show(campaign_id: int):
    """A campaign with its batches, pack and budget figures."""
    return _read(
        admin.operated_campaign(
            session=db_session(), operator=current_operator(), campaign_id=campaign_id
        )
    )


@bp.patch(f"/<{ID}:campaign_id>")
@require(Role.OPERATOR)
@spec.validate(
    json=CampaignUpdate,
    resp=Resp(HTTP_200=CampaignRead, **ERRORS),
    tags=["operators"],
    security=BEARER,
)
def update(campaign_id: int):
    """Change name, budget, stacking or end; `paused` is the pause switch."""
    campaign = admin.update_campaign(
        session=db_session(),
        operator=current_operator(),
        campaign_id=campaign_id,
        campaign_in=request.context.json,
        now=clock().now(),
    )
    return _read(campaign)


@bp.post(f"/<{ID}:campaign_id>/batches")
@require(Role.OPERATOR)
@spec.validate(
    json=BatchCreate, resp=Resp(HTTP_201=BatchRead, **ERRORS), tags=["operators"], security=BEARER
)
def add_batch(campaign_id: int):
    """Add a claim window with a pack quota."""
    session = db_session()
    batch = parts.add_batch(
        session=session,
        operator=current_operator(),
        campaign_id=campaign_id,
        batch_in=request.context.json,
        now=clock().now(),
    )
    return batch_read(batch, zone_of(session, batch.city_id)), 201


@bp.post(f"/<{ID}:campaign_id>/templates")
@require(Role.OPERATOR)
@spec.validate(
    json=TemplateCreate,
    resp=Resp(HTTP_201=TemplateRead, **ERRORS),
    tags=["operators"],
    security=BEARER,
)
def add_template(campaign_id: int):
    """Add a coupon kind to the campaign's pack (before the first claim)."""
    session = db_session()
    template = parts.add_template(
        session=session,
        operator=current_operator(),
        campaign_id=campaign_id,
        template_in=request.context.json,
        now=clock().now(),
    )
    return template_read(template, zone_of(session, template.city_id)), 201
