"""Consumers claiming coupon packs: exact under bursts, on both engines.

This is the hottest write path of a batch opening, so it is written in SQLAlchemy Core with
few statements: read the campaign and its batches in one query, insert the pack claim (its
unique index is the one-pack-per-batch rule), insert the pack's coupons in one statement,
then take quota and budget by conditional updates, last, so their row locks are held briefly.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from service.campaigns import packs
from service.campaigns.models import Batch, Campaign, Coupon, PackClaim
from service.campaigns.schemas import ClaimRead, CouponRead
from service.campaigns.tally import take_quota_and_budget
from service.cities.service import cached_city, covers, zone_named
from service.errors import Conflict, NotFound
from service.failpoints import failpoint


class ClaimRefused(Conflict):
    """A claim the rules refuse; `code` says which rule."""


@dataclass(frozen=True)
class Target:
    """The campaign and the batch a claim would come from."""

    campaign_id: int
    city_id: int
    name: str
    issued_fen: int
    budget_fen: int
    ends_at: datetime
    categories: list
    batch_id: int
    batch_name: str
    packs_claimed: int
    pack_quota: int
    pack_version: int


CAMPAIGN_AND_BATCHES = (
    select(
        Campaign.city_id,
        Campaign.name,
        Campaign.paused,
        Campaign.issued_fen,
        Campaign.budget_fen,
        Campaign.ends_at,
        Campaign.categories,
        Batch.id.label("batch_id"),
        Batch.name.label("batch_name"),
        Batch.claim_starts_at,
        Batch.claim_ends_at,
        Batch.packs_claimed,
        Batch.pack_quota,
        Campaign.pack_version,
    )
    .outerjoin(Batch, col(Batch.campaign_id) == col(Campaign.id))
    .where(col(Campaign.id) == bindparam("campaign_id"))
    .order_by(Batch.claim_ends_at)
)
INSERT_CLAIM = insert(PackClaim).returning(col(PackClaim.id))
# Executed with one parameter set per coupon: SQLAlchemy's insertmanyvalues renders that as a
# single multi-row INSERT ... RETURNING, ids in parameter order.
INSERT_COUPONS = insert(Coupon).returning(col(Coupon.id), sort_by_parameter_order=True)


def claim_pack(
    *, session: Session, consumer_id: int, campaign_id: int, lat: float, lon: float, now: datetime
) -> ClaimRead:
    """Claim one pack of the campaign's open batch, or raise ClaimRefused saying why."""
    target = _target(session, campaign_id, lat, lon, now)
    pack = packs.pack_of(session, campaign_id, version=target.pack_version)
    value = packs.pack_value(pack)
    _precheck(target, value)
    failpoint("claim.after_checks")
    claim_id = _insert_claim(session, consumer_id, target, value, now)
    coupons = _insert_coupons(session, consumer_id, claim_id, target, pack, now)
    refused = take_quota_and_budget(
        session,
        batch_id=target.batch_id,
        campaign_id=campaign_id,
        value=value,
        pack_version=target.pack_version,
    )
    if refused:
        raise _refusal(target)(refused)
    return ClaimRead(
        pack_claim_id=claim_id,
        campaign_id=campaign_id,
        batch_id=target.batch_id,
        face_value_fen=value,
        coupons=coupons,
    )


def _target(session: Session, campaign_id: int, lat: float, lon: float, now) -> Target:
    rows = session.connection().execute(CAMPAIGN_AND_BATCHES, {"campaign_id": campaign_id}).all()
    if not rows:
        raise NotFound(f"no campaign {campaign_id}", field="campaign_id")
    first = rows[0]
    city = cached_city(session, first.city_id)
    if not covers(city, lat, lon):
        raise ClaimRefused(
            f"{first.name} is only for people in {city.name}", code="outside_city", field="lat"
        )
    if first.paused:
        raise ClaimRefused(f"{first.name} is paused", code="paused")
    batches = [row for row in rows if row.batch_id is not None]
    for row in batches:
        if row.claim_starts_at <= now < min(row.claim_ends_at, row.ends_at):
            return Target(
                campaign_id,
                row.city_id,
                row.name,
                row.issued_fen,
                row.budget_fen,
                row.ends_at,
                row.categories,
                row.batch_id,
                row.batch_name,
                row.packs_claimed,
                row.pack_quota,
                row.pack_version,
            )
    upcoming = [b.claim_starts_at for b in batches if now < b.claim_starts_at < b.ends_at]
    if upcoming:
        opens = min(upcoming).astimezone(zone_named(city.timezone)).isoformat()
        raise ClaimRefused(
            f"the next batch opens at {opens}", code="not_started", details={"opens_at": opens}
        )
    raise ClaimRefused("no batch of this campaign is open for claims", code="window_closed")


def _precheck(target: Target, value: int) -> None:
    # Reads that name the reason early; the conditional updates remain the authority.
    if not value:
        raise ClaimRefused("this campaign has no coupons to claim yet", code="window_closed")
    if target.packs_claimed >= target.pack_quota:
        raise _refusal(target)("sold_out")
    if target.issued_fen + value > target.budget_fen:
        raise _refusal(target)("budget_exhausted")


def _refusal(target: Target):
    messages = {
        "sold_out": f"{target.batch_name} is sold out",
        "budget_exhausted": "the campaign's budget is used up",
        "already_claimed": "you have already claimed this batch's pack",
        "pack_changed": "the pack changed while you claimed; claim again",
    }
    return lambda code: ClaimRefused(messages[code], code=code)


def _insert_claim(session: Session, consumer_id: int, target: Target, value: int, now) -> int:
    values = {
        "consumer_id": consumer_id,
        "batch_id": target.batch_id,
        "campaign_id": target.campaign_id,
        "city_id": target.city_id,
        "face_value_fen": value,
        "claimed_at": now,
    }
    try:
        return session.connection().execute(INSERT_CLAIM, values).scalar_one()
    except IntegrityError as error:  # the (consumer, batch) unique index: one pack per batch
        raise _refusal(target)("already_claimed") from error


def _insert_coupons(session, consumer_id, claim_id, target: Target, pack, now) -> list[CouponRead]:
    rows = []
    for template in pack:
        valid_until = template.valid_until or target.ends_at
        if template.valid_hours:
            valid_until = now + timedelta(hours=template.valid_hours)
        row = {
            "city_id": target.city_id,
            "consumer_id": consumer_id,
            "campaign_id": target.campaign_id,
            "batch_id": target.batch_id,
            "template_id": template.id,
            "pack_claim_id": claim_id,
            "status": "AVAILABLE",
            "threshold_fen": template.threshold_fen,
            "discount_fen": template.discount_fen,
            "valid_from": template.valid_from or now,
            "valid_until": min(valid_until, target.ends_at),
            "claimed_at": now,
        }
        rows += [dict(row) for _ in range(template.quantity)]
    ids = session.connection().execute(INSERT_COUPONS, rows).scalars().all()
    zone = zone_named(cached_city(session, target.city_id).timezone)
    categories = {t.id: t.categories or target.categories for t in pack}
    return [
        CouponRead(
            id=coupon_id,
            campaign_name=target.name,
            categories=categories[row["template_id"]],
            **{
                k: row[k]
                for k in ("campaign_id", "batch_id", "status", "threshold_fen", "discount_fen")
            },
            valid_from=row["valid_from"].astimezone(zone),
            valid_until=row["valid_until"].astimezone(zone),
            claimed_at=now.astimezone(zone),
        )
        for coupon_id, row in zip(ids, rows, strict=True)
    ]
