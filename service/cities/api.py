"""Platform operators' city settings."""

from flask import Blueprint, request

from service.auth.models import Role
from service.cities.caps import set_funding_caps
from service.cities.schemas import FundingCapsIn, FundingCapsRead
from service.web.auth import current_operator, require
from service.web.context import clock, db_session
from service.web.spec import ID, Resp, spec

bp = Blueprint("cities", __name__, url_prefix="/v1/cities")


@bp.patch(f"/<{ID}:city_id>/funding-caps")
@require(Role.OPERATOR)
@spec.validate(json=FundingCapsIn, resp=Resp(HTTP_200=FundingCapsRead), tags=["operators"])
def funding_caps(city_id: int):
    """Set the most a city campaign may be funded by the platform and by merchants (audited)."""
    city = set_funding_caps(
        session=db_session(),
        operator=current_operator(),
        city_id=city_id,
        caps_in=request.context.json,
        now=clock().now(),
    )
    return FundingCapsRead(
        city_id=city.id,
        **city.model_dump(include={"max_platform_funding_pct", "max_merchant_funding_pct"}),
    )
