"""Consumers claiming coupon packs: exact under bursts, on both engines."""

from datetime import datetime, timedelta

from sqlalchemy import exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from service.campaigns.models import Batch, Campaign, Coupon, CouponTemplate, PackClaim
from service.campaigns.views import coupon_read, pack_value
from service.cities.models import City
from service.cities.service import city_zone, covers
from service.errors import Conflict, NotFound
from service.failpoints import failpoint


class ClaimRefused(Conflict):
    """A claim the rules refuse; `code` says which rule."""


def claim_pack(*, session: Session, consumer_id: int, campaign_id: int, lat: float, lon: float,
               now: datetime):  # fmt: skip
    """Claim one pack of `campaign_id`'s open batch, or raise ClaimRefused saying why."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"no campaign {campaign_id}", field="campaign_id")
    city = session.get(City, campaign.city_id)
    batch = _open_batch(session, campaign, city, lat, lon, now)
    templates = _templates(session, campaign.id)
    value = pack_value(templates)
    _precheck(session, consumer_id, campaign, batch, value)
    failpoint("claim.after_checks")
    claim = _insert_pack(session, consumer_id, campaign, batch, templates, value, now)
    _take_quota_and_budget(session, campaign, batch, value)
    coupons = session.execute(select(Coupon).where(Coupon.pack_claim_id == claim.id)).scalars()
    zone = city_zone(city)
    by_template = {t.id: t.categories or campaign.categories for t in templates}
    return claim, [coupon_read(c, campaign, by_template[c.template_id], zone) for c in coupons]


def _open_batch(session, campaign: Campaign, city: City, lat, lon, now) -> Batch:
    if not covers(city, lat, lon):
        raise ClaimRefused(f"{campaign.name} is only for people in {city.name}",
                           code="outside_city", field="lat")  # fmt: skip
    if campaign.paused:
        raise ClaimRefused(f"{campaign.name} is paused", code="paused")
    batches = session.execute(
        select(Batch).where(Batch.campaign_id == campaign.id).order_by(Batch.claim_ends_at)
    ).scalars().all()  # fmt: skip
    for batch in batches:
        if batch.claim_starts_at <= now < batch.claim_ends_at and now < campaign.ends_at:
            return batch
    upcoming = [
        b for b in batches if b.claim_starts_at > now and b.claim_starts_at < campaign.ends_at
    ]
    if upcoming:
        opens = min(b.claim_starts_at for b in upcoming).astimezone(city_zone(city))
        raise ClaimRefused(f"the next batch opens at {opens.isoformat()}", code="not_started",
                           details={"opens_at": opens.isoformat()})  # fmt: skip
    raise ClaimRefused("no batch of this campaign is open for claims", code="window_closed")


def _templates(session, campaign_id: int) -> list[CouponTemplate]:
    query = select(CouponTemplate).where(CouponTemplate.campaign_id == campaign_id)
    templates = session.execute(query.order_by(CouponTemplate.id)).scalars().all()
    if not templates:
        raise ClaimRefused("this campaign has no coupons to claim yet", code="window_closed")
    return templates


def _precheck(session, consumer_id: int, campaign: Campaign, batch: Batch, value: int) -> None:
    # Cheap reads that name the reason; the conditional updates below remain the authority.
    mine = exists().where(PackClaim.consumer_id == consumer_id, PackClaim.batch_id == batch.id)
    claimed = session.execute(select(mine)).scalar()
    if claimed:
        raise ClaimRefused("you have already claimed this batch's pack", code="already_claimed")
    if batch.packs_claimed >= batch.pack_quota:
        raise ClaimRefused(f"{batch.name} is sold out", code="sold_out")
    if campaign.issued_fen + value > campaign.budget_fen:
        raise ClaimRefused("the campaign's budget is used up", code="budget_exhausted")


def _insert_pack(session, consumer_id, campaign, batch, templates, value, now) -> PackClaim:
    claim = PackClaim(consumer_id=consumer_id, batch_id=batch.id, campaign_id=campaign.id,
                      city_id=campaign.city_id, face_value_fen=value, claimed_at=now)  # fmt: skip
    session.add(claim)
    try:
        session.flush()
    except IntegrityError as error:  # a concurrent claim by the same consumer won
        raise ClaimRefused("you have already claimed this batch's pack",
                           code="already_claimed") from error  # fmt: skip
    rows = [_coupon_row(claim, t, campaign, now) for t in templates for _ in range(t.quantity)]
    session.execute(insert(Coupon).values(rows))  # the whole pack in one statement
    return claim


def _coupon_row(claim: PackClaim, template: CouponTemplate, campaign: Campaign, now) -> dict:
    valid_from = template.valid_from or now
    if template.valid_hours:
        valid_until = now + timedelta(hours=template.valid_hours)
    else:
        valid_until = template.valid_until or campaign.ends_at
    return {
        "city_id": campaign.city_id, "consumer_id": claim.consumer_id,
        "campaign_id": campaign.id, "batch_id": claim.batch_id, "template_id": template.id,
        "pack_claim_id": claim.id, "status": "AVAILABLE",
        "threshold_fen": template.threshold_fen, "discount_fen": template.discount_fen,
        "valid_from": valid_from, "valid_until": min(valid_until, campaign.ends_at),
        "claimed_at": now,
    }  # fmt: skip


def _take_quota_and_budget(session: Session, campaign: Campaign, batch: Batch, value: int) -> None:
    """The hot-row writes, last before commit so their row locks are held as briefly as possible."""
    take_batch = (
        update(Batch)
        .where(col(Batch.id) == batch.id, col(Batch.packs_claimed) < col(Batch.pack_quota))
        .values(packs_claimed=col(Batch.packs_claimed) + 1)
    )
    issued = col(Campaign.issued_fen)
    take_budget = (
        update(Campaign)
        .where(col(Campaign.id) == campaign.id, issued + value <= col(Campaign.budget_fen))
        .values(issued_fen=issued + value)
    )
    if session.get_bind().dialect.name == "postgresql":
        got_batch, got_budget = _both_in_one_statement(session, take_batch, take_budget)
    else:  # SQLite: in-process, no round trips; BEGIN IMMEDIATE already serialises writers
        got_batch = session.execute(take_batch).rowcount == 1
        got_budget = got_batch and session.execute(take_budget).rowcount == 1
    if not got_batch:
        raise ClaimRefused(f"{batch.name} is sold out", code="sold_out")
    if not got_budget:
        raise ClaimRefused("the campaign's budget is used up", code="budget_exhausted")


def _both_in_one_statement(session, take_batch, take_budget) -> tuple[bool, bool]:
    # One round trip for both hot rows: the budget update runs only if the batch had room.
    took = take_batch.returning(col(Batch.id)).cte("took_batch")
    spent = take_budget.where(exists(select(took.c.id))).returning(col(Campaign.id)).cte("spent")
    row = session.execute(select(
        select(func.count()).select_from(took).scalar_subquery(),
        select(func.count()).select_from(spent).scalar_subquery(),
    )).one()  # fmt: skip
    return row[0] == 1, row[1] == 1
