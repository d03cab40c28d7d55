"""Operators setting up campaigns: every rule checked before anything is written."""

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from service.campaigns.models import (
    Batch,
    Campaign,
    CampaignStore,
    Coupon,
    CouponTemplate,
    PackClaim,
)
from service.campaigns.schemas import BatchCreate, CampaignCreate, CampaignUpdate, TemplateCreate
from service.campaigns.views import pack_value
from service.catalog.models import Product
from service.cities.models import City
from service.errors import Conflict, InvalidInput, NotFound
from service.people.models import Operator
from service.stores.models import Store


def operated_campaign(*, session: Session, operator: Operator, campaign_id: int) -> Campaign:
    """The campaign, if this operator may manage it; 404 otherwise (existence is not revealed)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or operator.city_id not in (None, campaign.city_id):
        raise NotFound(f"no campaign {campaign_id}", field="campaign_id")
    return campaign


def create_campaign(
    *, session: Session, operator: Operator, campaign_in: CampaignCreate
) -> Campaign:
    """A new campaign (no batches or coupons yet), validated against the design's rules."""
    if session.get(City, campaign_in.city_id) is None or operator.city_id not in (
        None, campaign_in.city_id):  # fmt: skip
        raise InvalidInput(
            f"no city {campaign_in.city_id} you may run campaigns in", field="city_id"
        )
    _check_window(campaign_in.starts_at, campaign_in.ends_at, "ends_at")
    _check_funding(campaign_in)
    _check_categories(session, campaign_in.categories, "categories")
    _refuse_duplicate_name(session, campaign_in.city_id, campaign_in.name)
    store_ids = _check_stores(session, campaign_in.city_id, campaign_in.store_ids)
    campaign = Campaign(
        **campaign_in.model_dump(exclude={"store_ids"}), all_stores=store_ids is None
    )
    session.add(campaign)
    session.flush()
    for store_id in store_ids or []:
        session.add(
            CampaignStore(campaign_id=campaign.id, store_id=store_id, city_id=campaign.city_id)
        )
    return campaign


def update_campaign(*, session: Session, operator: Operator, campaign_id: int,
                    campaign_in: CampaignUpdate, now: datetime) -> Campaign:  # fmt: skip
    """Rename, re-budget, pause/resume, or move the end of a campaign."""
    campaign = operated_campaign(session=session, operator=operator, campaign_id=campaign_id)
    changes = campaign_in.model_dump(exclude_unset=True, exclude_none=True)
    budget = changes.pop("budget_fen", None)
    if "ends_at" in changes:
        _move_end(session, campaign, changes.pop("ends_at"), now)
    if changes.get("name", campaign.name) != campaign.name:
        _refuse_duplicate_name(session, campaign.city_id, changes["name"])
    for name, value in changes.items():
        setattr(campaign, name, value)
    if budget is not None:
        _set_budget(session, campaign, budget)
    return campaign


def _set_budget(session: Session, campaign: Campaign, budget_fen: int) -> None:
    # Conditional, so a claim committing meanwhile cannot leave issued_fen above the budget.
    moved = session.execute(
        update(Campaign)
        .where(col(Campaign.id) == campaign.id, col(Campaign.issued_fen) <= budget_fen)
        .values(budget_fen=budget_fen)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        raise InvalidInput("the budget cannot drop below what is already issued",
                           field="budget_fen")  # fmt: skip
    set_committed_value(campaign, "budget_fen", budget_fen)


def _move_end(session: Session, campaign: Campaign, ends_at: datetime, now: datetime) -> None:
    _check_window(campaign.starts_at, ends_at, "ends_at")
    if ends_at <= now:
        raise InvalidInput("a campaign cannot end in the past", field="ends_at")
    campaign.ends_at = ends_at
    # No coupon stays valid past its campaign's end, including those already handed out.
    session.execute(
        update(Coupon)
        .where(col(Coupon.campaign_id) == campaign.id, col(Coupon.status) != "EXPIRED",
               col(Coupon.valid_until) > ends_at)
        .values(valid_until=ends_at)
        .execution_options(synchronize_session=False)
    )  # fmt: skip


def add_batch(*, session: Session, operator: Operator, campaign_id: int,
              batch_in: BatchCreate) -> Batch:  # fmt: skip
    """A claim window with a pack quota, inside the campaign's window."""
    campaign = operated_campaign(session=session, operator=operator, campaign_id=campaign_id)
    _check_window(batch_in.claim_starts_at, batch_in.claim_ends_at, "claim_ends_at")
    expiring = [t.valid_until for t in _templates(session, campaign.id) if t.valid_until]
    if expiring and batch_in.claim_ends_at > min(expiring):
        raise InvalidInput("a pack coupon would expire while this batch is still claimable",
                           field="claim_ends_at")  # fmt: skip
    if batch_in.claim_starts_at < campaign.starts_at or batch_in.claim_ends_at > campaign.ends_at:
        raise InvalidInput("a batch's claim window must lie inside the campaign's window",
                           field="claim_starts_at")  # fmt: skip
    taken = select(Batch.id).where(
        col(Batch.campaign_id) == campaign.id, col(Batch.name) == batch_in.name
    )
    if session.execute(taken).first():
        raise Conflict(f"this campaign already has a batch named {batch_in.name}", code="duplicate",
                       field="name")  # fmt: skip
    batch = Batch(**batch_in.model_dump(), campaign_id=campaign.id, city_id=campaign.city_id)
    session.add(batch)
    session.flush()
    return batch


def add_template(*, session: Session, operator: Operator, campaign_id: int,
                 template_in: TemplateCreate) -> CouponTemplate:  # fmt: skip
    """Add a coupon kind to the campaign's pack, before anyone has claimed one."""
    campaign = operated_campaign(session=session, operator=operator, campaign_id=campaign_id)
    _check_template(session, campaign, template_in)
    if session.execute(
        select(PackClaim.id).where(col(PackClaim.campaign_id) == campaign.id)
    ).first():
        raise Conflict("packs have been claimed; the pack can no longer change", code="pack_frozen")
    template = CouponTemplate(**template_in.model_dump(), campaign_id=campaign.id,
                              city_id=campaign.city_id)  # fmt: skip
    templates = _templates(session, campaign.id) + [template]
    if pack_value(templates) > campaign.budget_fen:
        raise InvalidInput(
            "one pack would be worth more than the whole budget", field="discount_fen"
        )
    session.add(template)
    session.flush()
    return template


def campaign_parts(session: Session, campaign_id: int) -> tuple[list[Batch], list[CouponTemplate]]:
    """The campaign's batches and pack templates, in order."""
    query = select(Batch).where(col(Batch.campaign_id) == campaign_id)
    batches = session.execute(query.order_by(Batch.claim_starts_at, Batch.id)).scalars()
    return list(batches), _templates(session, campaign_id)


def _templates(session: Session, campaign_id: int) -> list[CouponTemplate]:
    query = select(CouponTemplate).where(col(CouponTemplate.campaign_id) == campaign_id)
    return list(session.execute(query.order_by(CouponTemplate.id)).scalars())


def _check_template(session: Session, campaign: Campaign, template_in: TemplateCreate) -> None:
    if template_in.threshold_fen and template_in.discount_fen > template_in.threshold_fen:
        raise InvalidInput("the discount is larger than the threshold", field="discount_fen")
    _check_validity(session, campaign, template_in)
    if template_in.categories is not None:
        _check_categories(session, template_in.categories, "categories")
        if campaign.categories and not set(template_in.categories) <= set(campaign.categories):
            raise InvalidInput("a coupon's categories must be among the campaign's",
                               field="categories")  # fmt: skip


def _check_validity(session: Session, campaign: Campaign, template_in: TemplateCreate) -> None:
    valid_until = template_in.valid_until
    if (template_in.valid_from or valid_until) and template_in.valid_hours:
        raise InvalidInput("give a fixed window or valid_hours, not both", field="valid_hours")
    if template_in.valid_from and valid_until:
        _check_window(template_in.valid_from, valid_until, "valid_until")
    if valid_until and valid_until > campaign.ends_at:
        raise InvalidInput("a coupon cannot stay valid past the campaign's end",
                           field="valid_until")  # fmt: skip
    last_claim = session.execute(select(func.max(Batch.claim_ends_at)).where(
        col(Batch.campaign_id) == campaign.id)).scalar()  # fmt: skip
    if valid_until and last_claim and valid_until < last_claim:
        raise InvalidInput("the coupon would expire while a batch is still claimable",
                           field="valid_until")  # fmt: skip


def _check_window(starts, ends, field: str) -> None:
    if ends <= starts:
        raise InvalidInput("the window ends before it starts", field=field)


def _check_funding(campaign_in: CampaignCreate) -> None:
    shares = (campaign_in.funding_government_pct, campaign_in.funding_platform_pct,
              campaign_in.funding_merchant_pct)  # fmt: skip
    if sum(shares) != 100:
        raise InvalidInput(f"funding percentages sum to {sum(shares)}, not 100",
                           field="funding_government_pct")  # fmt: skip
    if campaign_in.issuer == "platform" and campaign_in.funding_government_pct:
        raise InvalidInput("a platform campaign is not government-funded",
                           field="funding_government_pct")  # fmt: skip


def _check_categories(session: Session, categories: list[str], field: str) -> None:
    known = set(session.execute(select(Product.category).distinct()).scalars())
    unknown = sorted(set(categories) - known)
    if unknown:
        raise InvalidInput(f"unknown categories: {', '.join(unknown)}", field=field)


def _check_stores(session: Session, city_id: int, store_ids: list[int] | None) -> list[int] | None:
    if store_ids is None:
        return None
    wanted = set(store_ids)
    query = select(Store.id).where(col(Store.city_id) == city_id, col(Store.id).in_(wanted))
    found = set(session.execute(query).scalars())
    if not wanted or found != wanted:
        raise InvalidInput(f"not stores of this city: {sorted(wanted - found) or 'none given'}",
                           field="store_ids")  # fmt: skip
    return sorted(wanted)


def _refuse_duplicate_name(session: Session, city_id: int, name: str) -> None:
    query = select(Campaign.id).where(col(Campaign.city_id) == city_id, col(Campaign.name) == name)
    if session.execute(query).first():
        raise Conflict(f"this city already has a campaign named {name}", code="duplicate",
                       field="name")  # fmt: skip
