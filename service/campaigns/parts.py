"""A campaign's parts: its claim batches (windows with a pack quota) and its pack's coupon
templates, added by operators under the same checks and audit as the campaign itself."""

from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session, col

from service.campaigns import rules
from service.campaigns.admin import audit_change, managed_campaign
from service.campaigns.models import Batch, Campaign, CouponTemplate
from service.campaigns.schemas import BatchCreate, TemplateCreate
from service.campaigns.views import pack_value
from service.errors import Conflict, InvalidInput
from service.people.models import Operator


def add_batch(
    *, session: Session, operator: Operator, campaign_id: int, batch_in: BatchCreate, now: datetime
) -> Batch:
    """A claim window with a pack quota, inside the campaign's window."""
    campaign = managed_campaign(session=session, operator=operator, campaign_id=campaign_id)
    rules.check_window(batch_in.claim_starts_at, batch_in.claim_ends_at, "claim_ends_at")
    expiring = [t.valid_until for t in _templates(session, campaign.id) if t.valid_until]
    if expiring and batch_in.claim_ends_at > min(expiring):
        raise InvalidInput(
            "a pack coupon would expire while this batch is still claimable", field="claim_ends_at"
        )
    if batch_in.claim_starts_at < campaign.starts_at or batch_in.claim_ends_at > campaign.ends_at:
        raise InvalidInput(
            "a batch's claim window must lie inside the campaign's window", field="claim_starts_at"
        )
    taken = select(Batch.id).where(
        col(Batch.campaign_id) == campaign.id, col(Batch.name) == batch_in.name
    )
    if session.execute(taken).first():
        raise Conflict(
            f"this campaign already has a batch named {batch_in.name}",
            code="duplicate",
            field="name",
        )
    batch = Batch(**batch_in.model_dump(), campaign_id=campaign.id, city_id=campaign.city_id)
    session.add(batch)
    session.flush()
    audit_change(
        session, operator, now, "batch.create", campaign, batch.id, {}, batch_in.model_dump()
    )
    return batch


def add_template(
    *,
    session: Session,
    operator: Operator,
    campaign_id: int,
    template_in: TemplateCreate,
    now: datetime,
) -> CouponTemplate:
    """Add a coupon kind to the campaign's pack, before anyone has claimed one."""
    campaign = managed_campaign(session=session, operator=operator, campaign_id=campaign_id)
    rules.check_template(session, campaign, template_in)
    _move_pack_version(session, campaign.id)
    template = CouponTemplate(
        **template_in.model_dump(), campaign_id=campaign.id, city_id=campaign.city_id
    )
    templates = _templates(session, campaign.id) + [template]
    if pack_value(templates) > campaign.budget_fen:
        raise InvalidInput(
            "one pack would be worth more than the whole budget", field="discount_fen"
        )
    session.add(template)
    session.flush()
    audit_change(
        session,
        operator,
        now,
        "template.create",
        campaign,
        template.id,
        {},
        template_in.model_dump(),
    )
    return template


def _move_pack_version(session: Session, campaign_id: int) -> None:
    # The database decides the race with claiming: this takes the campaign row only while no
    # pack has been issued (a claim in flight holds the row until it commits, so this then sees
    # its issued_fen), and a claim only commits if the pack_version it read is still current.
    moved = session.execute(
        update(Campaign)
        .where(col(Campaign.id) == campaign_id, col(Campaign.issued_fen) == 0)
        .values(pack_version=col(Campaign.pack_version) + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        raise Conflict("packs have been claimed; the pack can no longer change", code="pack_frozen")


def campaign_parts(session: Session, campaign_id: int) -> tuple[list[Batch], list[CouponTemplate]]:
    """The campaign's batches and pack templates, in order."""
    query = select(Batch).where(col(Batch.campaign_id) == campaign_id)
    batches = session.execute(query.order_by(Batch.claim_starts_at, Batch.id)).scalars()
    return list(batches), _templates(session, campaign_id)


def _templates(session: Session, campaign_id: int) -> list[CouponTemplate]:
    query = select(CouponTemplate).where(col(CouponTemplate.campaign_id) == campaign_id)
    return list(session.execute(query.order_by(CouponTemplate.id)).scalars())
