"""Building the campaign API's read models, with times in the city's own zone."""

from zoneinfo import ZoneInfo

from service.campaigns.models import Batch, Campaign, Coupon, CouponTemplate
from service.campaigns.packs import pack_value
from service.campaigns.schemas import BatchRead, CampaignRead, CouponRead, TemplateRead


def batch_read(batch: Batch, zone: ZoneInfo) -> BatchRead:
    return BatchRead(
        **batch.model_dump(include={"id", "name", "pack_quota", "packs_claimed"}),
        claim_starts_at=batch.claim_starts_at.astimezone(zone),
        claim_ends_at=batch.claim_ends_at.astimezone(zone),
    )


def template_read(template: CouponTemplate, zone: ZoneInfo) -> TemplateRead:
    return TemplateRead(
        **template.model_dump(exclude={"valid_from", "valid_until"}),
        valid_from=template.valid_from and template.valid_from.astimezone(zone),
        valid_until=template.valid_until and template.valid_until.astimezone(zone),
    )


def campaign_read(
    campaign: Campaign, batches: list[Batch], templates: list[CouponTemplate], zone: ZoneInfo
) -> CampaignRead:
    return CampaignRead(
        **campaign.model_dump(exclude={"starts_at", "ends_at"}),
        starts_at=campaign.starts_at.astimezone(zone),
        ends_at=campaign.ends_at.astimezone(zone),
        pack_value_fen=pack_value(templates),
        batches=[batch_read(b, zone) for b in batches],
        templates=[template_read(t, zone) for t in templates],
    )


def coupon_read(coupon: Coupon, campaign: Campaign, categories: list[str], zone) -> CouponRead:
    return CouponRead(
        **coupon.model_dump(
            include={"id", "campaign_id", "batch_id", "status", "threshold_fen", "discount_fen"}
        ),
        campaign_name=campaign.name,
        categories=categories,
        valid_from=coupon.valid_from.astimezone(zone),
        valid_until=coupon.valid_until.astimezone(zone),
        claimed_at=coupon.claimed_at.astimezone(zone),
    )
