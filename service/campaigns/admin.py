"""Operators setting up campaigns: every rule checked before anything is written, every change
audited.

City operators manage their own city's city-issued campaigns; platform-issued campaigns
(platform drops, compensation coupons) are created and changed by platform operators only.
"""

from datetime import datetime

from pydantic_core import to_jsonable_python
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from service.audit.service import changed_fields, record_audit
from service.campaigns import rules
from service.campaigns.models import Campaign, CampaignStore, Coupon
from service.campaigns.schemas import CampaignCreate, CampaignUpdate
from service.cities.models import City
from service.errors import InvalidInput, NotFound
from service.people.models import Operator


def operated_campaign(*, session: Session, operator: Operator, campaign_id: int) -> Campaign:
    """The campaign, if this operator may see it; 404 otherwise (existence is not revealed)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or operator.city_id not in (None, campaign.city_id):
        raise NotFound(f"no campaign {campaign_id}", field="campaign_id")
    return campaign


def managed_campaign(*, session: Session, operator: Operator, campaign_id: int) -> Campaign:
    """The campaign, if this operator may change it: 404 if unseen, 403 if the platform's."""
    campaign = operated_campaign(session=session, operator=operator, campaign_id=campaign_id)
    rules.refuse_platform_campaign(operator, campaign.issuer)
    return campaign


def create_campaign(
    *, session: Session, operator: Operator, campaign_in: CampaignCreate, now: datetime
) -> Campaign:
    """A new campaign (no batches or coupons yet), validated against the design's rules."""
    rules.refuse_platform_campaign(operator, campaign_in.issuer)
    city = session.get(City, campaign_in.city_id)
    if city is None or operator.city_id not in (None, campaign_in.city_id):
        raise InvalidInput(
            f"no city {campaign_in.city_id} you may run campaigns in", field="city_id"
        )
    rules.check_window(campaign_in.starts_at, campaign_in.ends_at, "ends_at")
    rules.check_funding(campaign_in, city)
    rules.check_categories(session, campaign_in.categories, "categories")
    rules.refuse_duplicate_name(session, campaign_in.city_id, campaign_in.name)
    store_ids = rules.check_stores(session, campaign_in.city_id, campaign_in.store_ids)
    campaign = Campaign(
        **campaign_in.model_dump(exclude={"store_ids"}), all_stores=store_ids is None
    )
    session.add(campaign)
    session.flush()
    for store_id in store_ids or []:
        session.add(
            CampaignStore(campaign_id=campaign.id, store_id=store_id, city_id=campaign.city_id)
        )
    audit_change(
        session,
        operator,
        now,
        "campaign.create",
        campaign,
        campaign.id,
        {},
        campaign_in.model_dump(),
    )
    return campaign


def update_campaign(
    *,
    session: Session,
    operator: Operator,
    campaign_id: int,
    campaign_in: CampaignUpdate,
    now: datetime,
) -> Campaign:
    """Rename, re-budget, pause/resume, or move the end of a campaign."""
    campaign = managed_campaign(session=session, operator=operator, campaign_id=campaign_id)
    changes = campaign_in.model_dump(exclude_unset=True, exclude_none=True)
    before = {name: getattr(campaign, name) for name in changes}
    budget = changes.pop("budget_fen", None)
    if "ends_at" in changes:
        _move_end(session, campaign, changes.pop("ends_at"), now)
    if changes.get("name", campaign.name) != campaign.name:
        rules.refuse_duplicate_name(session, campaign.city_id, changes["name"])
    for name, value in changes.items():
        setattr(campaign, name, value)
    if budget is not None:
        _set_budget(session, campaign, budget)
    old, new = changed_fields(before, {name: getattr(campaign, name) for name in before})
    if new:
        action = {True: "campaign.pause", False: "campaign.resume"}.get(new.get("paused"))
        action = action if set(new) == {"paused"} else "campaign.update"
        audit_change(session, operator, now, action, campaign, campaign.id, old, new)
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
        raise InvalidInput(
            "the budget cannot drop below what is already issued", field="budget_fen"
        )
    set_committed_value(campaign, "budget_fen", budget_fen)


def _move_end(session: Session, campaign: Campaign, ends_at: datetime, now: datetime) -> None:
    rules.check_window(campaign.starts_at, ends_at, "ends_at")
    if ends_at <= now:
        raise InvalidInput("a campaign cannot end in the past", field="ends_at")
    campaign.ends_at = ends_at
    # No coupon stays valid past its campaign's end, including those already handed out.
    session.execute(
        update(Coupon)
        .where(
            col(Coupon.campaign_id) == campaign.id,
            col(Coupon.status) != "EXPIRED",
            col(Coupon.valid_until) > ends_at,
        )
        .values(valid_until=ends_at)
        .execution_options(synchronize_session=False)
    )


def audit_change(
    session,
    operator: Operator,
    now,
    action: str,
    campaign: Campaign,
    target_id: int,
    old: dict,
    new: dict,
) -> None:
    """Record an operator's change to the campaign or one of its parts (batch, template)."""
    record_audit(
        session=session,
        at=now,
        actor_role="operator",
        actor_id=operator.id,
        action=action,
        target_type=action.split(".")[0],
        target_id=target_id,
        city_id=campaign.city_id,
        old=to_jsonable_python(old),
        new=to_jsonable_python(new),
    )
