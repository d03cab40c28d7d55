"""What a consumer sees: campaigns open to claim where they are, and their own coupons."""

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from service.campaigns.models import Batch, Campaign, Coupon, CouponTemplate, PackClaim
from service.campaigns.schemas import CouponRead, OpenCampaignRead, OpenCampaignsRead
from service.campaigns.views import batch_read, coupon_read, pack_value, template_read
from service.cities.models import City
from service.cities.service import city_for_point, city_zone, zone_named


def open_campaigns(
    *, session: Session, consumer_id: int, lat: float, lon: float, now: datetime
) -> OpenCampaignsRead:
    """Campaigns of the city at (lat, lon) with a batch open for claims now."""
    city = city_for_point(session=session, lat=lat, lon=lon)
    zone = city_zone(city)
    rows = session.execute(
        select(Campaign, Batch)
        .join(Batch, col(Batch.campaign_id) == col(Campaign.id))
        .where(
            col(Campaign.city_id) == city.id,
            col(Campaign.paused).is_(False),
            col(Campaign.ends_at) > now,
            col(Batch.claim_starts_at) <= now,
            col(Batch.claim_ends_at) > now,
        )
        .order_by(Campaign.id, Batch.claim_ends_at)
    ).all()
    batches = {}
    for campaign, batch in rows:
        batches.setdefault(campaign.id, (campaign, batch))
    claimed = _claimed_batches(session, consumer_id, [b.id for _, b in batches.values()])
    packs = _packs(session, list(batches))
    found = [
        OpenCampaignRead(
            **campaign.model_dump(
                include={
                    "id",
                    "name",
                    "issuer",
                    "issuer_name",
                    "categories",
                    "payment_method",
                    "stacks_with_platform",
                }
            ),
            batch=batch_read(batch, zone),
            pack=[template_read(t, zone) for t in packs.get(campaign.id, [])],
            pack_value_fen=pack_value(packs.get(campaign.id, [])),
            claimed=batch.id in claimed,
        )
        for campaign, batch in batches.values()
        if packs.get(campaign.id)
    ]
    return OpenCampaignsRead(city=city.code, campaigns=found)


def my_coupons(
    *, session: Session, consumer_id: int, status: str | None = None
) -> list[CouponRead]:
    """The consumer's coupons, newest first, with each one's categories and validity."""
    query = (
        select(Coupon, Campaign, CouponTemplate.categories, City.timezone)
        .join(Campaign, col(Campaign.id) == col(Coupon.campaign_id))
        .join(CouponTemplate, col(CouponTemplate.id) == col(Coupon.template_id))
        .join(City, col(City.id) == col(Coupon.city_id))
        .where(col(Coupon.consumer_id) == consumer_id)
        .order_by(col(Coupon.id).desc())
    )
    if status:
        query = query.where(col(Coupon.status) == status)
    return [
        coupon_read(coupon, campaign, categories or campaign.categories, zone_named(tz))
        for coupon, campaign, categories, tz in session.execute(query)
    ]


def _claimed_batches(session: Session, consumer_id: int, batch_ids: list[int]) -> set[int]:
    if not batch_ids:
        return set()
    query = select(PackClaim.batch_id).where(
        col(PackClaim.consumer_id) == consumer_id, col(PackClaim.batch_id).in_(batch_ids)
    )
    return set(session.execute(query).scalars())


def _packs(session: Session, campaign_ids: list[int]) -> dict[int, list[CouponTemplate]]:
    packs: dict[int, list[CouponTemplate]] = {}
    query = select(CouponTemplate).where(col(CouponTemplate.campaign_id).in_(campaign_ids))
    for template in session.execute(query.order_by(CouponTemplate.id)).scalars():
        packs.setdefault(template.campaign_id, []).append(template)
    return packs
