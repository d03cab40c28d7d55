"""Operator routes for platform promotions."""

from flask import Blueprint, request

from service.auth.models import Role
from service.campaigns.models import Promotion
from service.cities.models import City
from service.cities.service import city_zone, zone_named
from service.promotions import service
from service.promotions.schemas import (
    PromotionCreate,
    PromotionList,
    PromotionRead,
    PromotionUpdate,
)
from service.web.auth import BEARER, require
from service.web.context import clock, db_session
from service.web.operator import current_operator
from service.web.spec import ID, Resp, spec

bp = Blueprint("promotions", __name__, url_prefix="/v1/admin/promotions")
NATIONAL_ZONE = "Asia/Shanghai"  # a national promotion's window is shown in Beijing time
ERRORS = {"HTTP_401": None, "HTTP_403": None, "HTTP_404": None, "HTTP_409": None}


def _read(promotion: Promotion) -> PromotionRead:
    now = clock().now()
    running = not promotion.paused and promotion.starts_at <= now < promotion.ends_at
    city = db_session().get(City, promotion.city_id) if promotion.city_id else None
    zone = city_zone(city) if city else zone_named(NATIONAL_ZONE)
    window = {
        "starts_at": promotion.starts_at.astimezone(zone),
        "ends_at": promotion.ends_at.astimezone(zone),
    }
    return PromotionRead(**{**promotion.model_dump(), **window}, running=running)


@bp.get("")
@require(Role.OPERATOR)
@spec.validate(resp=Resp(HTTP_200=PromotionList, **ERRORS), tags=["operators"], security=BEARER)
def index():
    """Promotions: all for platform operators, national and their city's for city operators."""
    found = service.list_promotions(session=db_session(), operator=current_operator())
    return PromotionList(promotions=[_read(p) for p in found])


@bp.post("")
@require(Role.OPERATOR)
@spec.validate(
    json=PromotionCreate,
    resp=Resp(HTTP_201=PromotionRead, **ERRORS),
    tags=["operators"],
    security=BEARER,
)
def create():
    """Create a platform promotion (platform operators only)."""
    promotion = service.create_promotion(
        session=db_session(),
        operator=current_operator(),
        promotion_in=request.context.json,
        now=clock().now(),
    )
    return _read(promotion), 201


@bp.patch(f"/<{ID}:promotion_id>")
@require(Role.OPERATOR)
@spec.validate(
    json=PromotionUpdate,
    resp=Resp(HTTP_200=PromotionRead, **ERRORS),
    tags=["operators"],
    security=BEARER,
)
def update(promotion_id: int):
    """Change a promotion; `paused` pauses or resumes it, `end_now` ends it."""
    promotion = service.update_promotion(
        session=db_session(),
        operator=current_operator(),
        promotion_id=promotion_id,
        promotion_in=request.context.json,
        now=clock().now(),
    )
    return _read(promotion)
