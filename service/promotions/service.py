"""Promotion rules for operators: platform operators write, city operators read their city's."""

from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select

from service.audit.service import audit_operator_change, changed_fields
from service.campaigns.models import Promotion
from service.cities.models import City
from service.errors import Conflict, NotFound, PermissionDenied, Unprocessable
from service.people.models import Operator
from service.pricing.inputs import promotions_changed
from service.promotions.schemas import PromotionCreate, PromotionUpdate

AUDITED = (
    "name",
    "threshold_fen",
    "discount_fen",
    "cap_fen",
    "categories",
    "starts_at",
    "ends_at",
    "paused",
)


def list_promotions(*, session: Session, operator: Operator) -> list[Promotion]:
    """Every promotion (platform) or those reaching the operator's city, newest first."""
    query = select(Promotion).order_by(col(Promotion.id).desc())
    if operator.city_id is not None:
        query = query.where(
            or_(col(Promotion.city_id).is_(None), col(Promotion.city_id) == operator.city_id)
        )
    return list(session.execute(query).scalars())


def create_promotion(
    *, session: Session, operator: Operator, promotion_in: PromotionCreate, now: datetime
) -> Promotion:
    """A new promotion (platform operators only); audited."""
    _platform_only(operator)
    if promotion_in.city_id is not None and session.get(City, promotion_in.city_id) is None:
        raise Unprocessable(f"no city {promotion_in.city_id}", field="city_id")
    _refuse_duplicate(session, promotion_in.name)
    promotion = Promotion(**promotion_in.model_dump())
    session.add(promotion)
    session.flush()
    _audit(session, operator, promotion, "promotion.create", {}, _snapshot(promotion), now)
    return promotion


def update_promotion(
    *,
    session: Session,
    operator: Operator,
    promotion_id: int,
    promotion_in: PromotionUpdate,
    now: datetime,
) -> Promotion:
    """Change, pause/resume or end a promotion (platform operators only); audited."""
    _platform_only(operator)
    promotion = session.get(Promotion, promotion_id)
    if promotion is None:
        raise NotFound(f"no promotion {promotion_id}", field="promotion_id")
    before = _snapshot(promotion)
    changes = promotion_in.model_dump(exclude_unset=True, exclude={"end_now"})
    if changes.get("name", promotion.name) != promotion.name:
        _refuse_duplicate(session, changes["name"])
    if promotion_in.end_now:
        changes["ends_at"] = max(now, promotion.starts_at)
    for name, value in changes.items():
        setattr(promotion, name, value)
    _check(promotion)
    session.flush()
    old, new = changed_fields(before, _snapshot(promotion))
    if new:
        _audit(session, operator, promotion, "promotion.update", old, new, now)
    return promotion


def _check(promotion: Promotion) -> None:
    if promotion.ends_at < promotion.starts_at:
        raise Unprocessable("ends_at must not be before starts_at", field="ends_at")
    if promotion.discount_fen > promotion.threshold_fen:
        raise Unprocessable("discount_fen may not exceed threshold_fen", field="discount_fen")


def _platform_only(operator: Operator) -> None:
    if operator.city_id is not None:
        raise PermissionDenied("only platform operators run promotions")


def _refuse_duplicate(session: Session, name: str) -> None:
    if session.execute(select(Promotion.id).where(Promotion.name == name)).first():
        raise Conflict(f"a promotion named {name} exists", code="duplicate_name", field="name")


def _snapshot(promotion: Promotion) -> dict:
    values = {name: getattr(promotion, name) for name in AUDITED}
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


def _audit(session, operator, promotion, action, old, new, now) -> None:
    audit_operator_change(
        session=session,
        operator_id=operator.id,
        action=action,
        target_type="promotion",
        target=promotion,
        now=now,
        old=old,
        new=new,
    )
    promotions_changed()  # this worker sees it at once; the others within their cache's TTL
