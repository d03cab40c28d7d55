"""The hour promise has teeth: a late delivery earns one coupon from the city's platform campaign.

The campaign (issuer `platform`, one per city, lazily made) is budget-capped like any other:
`issued_fen` is taken by the same conditional update as a claim. Each consumer holds one pack
claim of its batch (the one-pack rule), and every compensation coupon hangs off it. Exactly
once per order: the delivery's DELIVERED transition happens once, and its
`compensation_coupon_id` is set by a conditional update behind a unique index.
"""

from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from service.campaigns.models import Batch, Campaign, Coupon, CouponTemplate, PackClaim
from service.campaigns.tally import TAKE_BUDGET
from service.cities.service import cached_city
from service.deliveries.models import Delivery
from service.orders import ledger, states
from service.orders.models import Order

CAMPAIGN_NAME = "小时达准时宝补偿"
BUDGET_FEN = 100_000_000  # 1 million yuan a city until an operator changes it
LIFETIME = timedelta(days=3650)


def compensate(*, session: Session, order: Order, delivery: Delivery, now: datetime) -> int | None:
    """Issue the late order's coupon (once); its id, or None when the budget is used up."""
    city = cached_city(session, order.city_id)
    value = city.compensation_fen
    campaign, batch, template = compensation_campaign(session, order.city_id, now)
    params = {
        "take_campaign": campaign.id,
        "take_fen": value,
        "take_version": campaign.pack_version,
    }
    taken = session.connection().execute(TAKE_BUDGET, params).rowcount
    if not value or not taken:
        states.record(
            session,
            order,
            kind="compensation_refused",
            actor_role="system",
            actor_id=None,
            now=now,
            data={"reason": "budget_exhausted"},
        )
        return None
    claim_id = _pack_claim(session, order, campaign, batch, now)
    until = min(now + timedelta(days=city.compensation_valid_days), campaign.ends_at)
    coupon_id = session.execute(
        insert(Coupon)
        .values(
            city_id=order.city_id,
            consumer_id=order.consumer_id,
            campaign_id=campaign.id,
            batch_id=batch.id,
            template_id=template.id,
            pack_claim_id=claim_id,
            status="AVAILABLE",
            threshold_fen=0,
            discount_fen=value,
            valid_from=now,
            valid_until=until,
            claimed_at=now,
        )
        .returning(col(Coupon.id))
    ).scalar_one()
    once = session.execute(
        update(Delivery)
        .where(col(Delivery.id) == delivery.id, col(Delivery.compensation_coupon_id).is_(None))
        .values(compensation_coupon_id=coupon_id)
    ).rowcount
    if once != 1:
        raise RuntimeError(f"order {order.id} was compensated twice")  # rolls everything back
    late_s = int((now - order.promised_at).total_seconds())
    states.record(
        session,
        order,
        kind="compensated",
        actor_role="system",
        actor_id=None,
        now=now,
        data={"coupon_id": coupon_id, "discount_fen": value, "late_s": late_s},
    )
    ledger.write(session, order, "compensation", value, now, f"coupon {coupon_id}")
    return coupon_id


def is_compensation(campaign: Campaign) -> bool:
    """Whether the campaign is a city's compensation campaign (its coupons are granted to late
    orders, not claimed: one pack claim per consumer carries every coupon he was granted)."""
    return campaign.issuer == "platform" and campaign.name == CAMPAIGN_NAME


def compensation_campaign(session: Session, city_id: int, now: datetime):
    """The city's platform compensation campaign, its batch and template (made on first use)."""
    found = _find(session, city_id)
    if found is not None:
        return found
    try:
        with session.begin_nested():  # a concurrent first use makes it too: the unique name decides
            _create(session, city_id, now)
    except IntegrityError:
        pass
    return _find(session, city_id)


def _find(session: Session, city_id: int):
    row = session.execute(
        select(Campaign, Batch, CouponTemplate)
        .join(Batch, col(Batch.campaign_id) == col(Campaign.id))
        .join(CouponTemplate, col(CouponTemplate.campaign_id) == col(Campaign.id))
        .where(col(Campaign.city_id) == city_id, col(Campaign.name) == CAMPAIGN_NAME)
    ).first()
    return None if row is None else tuple(row)


def _create(session: Session, city_id: int, now: datetime) -> None:
    city = cached_city(session, city_id)
    campaign = Campaign(
        city_id=city_id,
        issuer="platform",
        issuer_name="小时达平台",
        name=CAMPAIGN_NAME,
        budget_fen=BUDGET_FEN,
        funding_government_pct=0,
        funding_platform_pct=100,
        starts_at=now,
        ends_at=now + LIFETIME,
    )
    session.add(campaign)
    session.flush()
    session.add(
        Batch(
            campaign_id=campaign.id,
            city_id=city_id,
            name="超时补偿",
            claim_starts_at=now,
            claim_ends_at=campaign.ends_at,
            pack_quota=2_000_000_000,
        )
    )
    session.add(
        CouponTemplate(
            campaign_id=campaign.id,
            city_id=city_id,
            name="超时补偿券",
            threshold_fen=0,
            discount_fen=max(city.compensation_fen, 1),
            valid_hours=24 * city.compensation_valid_days,
        )
    )
    session.flush()


def _pack_claim(session: Session, order: Order, campaign, batch, now: datetime) -> int:
    """The consumer's one claim of the compensation batch; each coupon hangs off it."""
    query = select(PackClaim.id).where(
        col(PackClaim.consumer_id) == order.consumer_id, col(PackClaim.batch_id) == batch.id
    )
    claim_id = session.execute(query).scalar_one_or_none()
    if claim_id is not None:
        return claim_id
    try:
        with session.begin_nested():
            claim_id = session.execute(
                insert(PackClaim)
                .values(
                    consumer_id=order.consumer_id,
                    batch_id=batch.id,
                    campaign_id=campaign.id,
                    city_id=order.city_id,
                    face_value_fen=0,
                    claimed_at=now,
                )
                .returning(col(PackClaim.id))
            ).scalar_one()
            session.execute(
                update(Batch)
                .where(col(Batch.id) == batch.id)
                .values(packs_claimed=col(Batch.packs_claimed) + 1)
            )
    except IntegrityError:  # the same consumer's other late order made it meanwhile
        claim_id = session.execute(query).scalar_one()
    return claim_id
