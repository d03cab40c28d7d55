"""Loading what the pricing engine needs from the database: lines, promotions, coupons."""

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlmodel import Session, col

from service import caches
from service.campaigns.models import Campaign, CampaignStore, Coupon, CouponTemplate, Promotion
from service.catalog.models import Product, StoreStock
from service.errors import Conflict, InvalidInput, NotFound
from service.pricing.terms import CouponOffer, PriceLine, PromotionRule


def basket_lines(session: Session, store_id: int, items: list) -> tuple[list[PriceLine], dict]:
    """Price lines at the store's prices (same SKU merged), and each SKU's product name."""
    wanted: dict[str, int] = {}
    for item in items:
        wanted[item.sku] = wanted.get(item.sku, 0) + item.qty
    rows = session.execute(
        select(Product.sku, Product.name, Product.category, StoreStock.price_fen)
        .join(StoreStock, col(StoreStock.product_id) == col(Product.id))
        .where(col(StoreStock.store_id) == store_id, col(Product.sku).in_(wanted))
    ).all()
    found = {row.sku: row for row in rows}
    for index, item in enumerate(items):
        if item.sku not in found:
            raise InvalidInput(
                f"this store does not sell {item.sku}",
                code="not_stocked",
                field=f"items.{index}.sku",
            )
    lines = [
        PriceLine(sku, found[sku].category, qty, found[sku].price_fen)
        for sku, qty in wanted.items()
    ]
    return lines, {sku: row.name for sku, row in found.items()}


# Every quote and order reads the promotions; they change a few times a season, so a change
# takes up to 10 s to reach every worker (a quote and an order straddling such a change on two
# workers may differ; the order then answers 409 price_changed when it carries the quote's
# payable).
_promotions = caches.ttl_cache(maxsize=256, ttl=10)


def active_promotions(session: Session, city_id: int, now: datetime) -> list[PromotionRule]:
    """Platform promotions running now, national or for this city."""
    rules = caches.get_or_load(_promotions, city_id, lambda: _promotions_of(session, city_id))
    return [rule for rule, starts, ends in rules if starts <= now < ends]


def promotions_changed() -> None:
    """Drop this process's cached promotions after an operator changed one."""
    caches.clear(_promotions)


def _promotions_of(session: Session, city_id: int) -> list[tuple]:
    query = select(Promotion).where(
        or_(col(Promotion.city_id).is_(None), col(Promotion.city_id) == city_id),
        col(Promotion.paused).is_(False),
    )
    return [
        (
            PromotionRule(
                p.id,
                p.name,
                p.kind,
                p.threshold_fen,
                p.discount_fen,
                p.cap_fen,
                frozenset(p.categories) if p.categories else None,
            ),
            p.starts_at,
            p.ends_at,
        )
        for p in session.execute(query).scalars()
    ]


def named_offer(
    session: Session,
    *,
    consumer_id: int,
    coupon_id: int,
    city_id: int,
    store_id: int,
    now: datetime,
) -> CouponOffer:
    """The consumer's coupon as a pricing offer; 404 if not theirs, 409 if not spendable now."""
    offers = _offers(session, consumer_id, city_id, store_id, now, coupon_id=coupon_id)
    if offers:
        return offers[0][0]
    coupon = session.get(Coupon, coupon_id)
    if coupon is None or coupon.consumer_id != consumer_id:
        raise NotFound(f"no coupon {coupon_id} of yours", field="coupon_id")
    raise Conflict(
        "this coupon cannot be spent on this order now",
        code="coupon_unavailable",
        field="coupon_id",
    )


def usable_offers(
    session: Session, *, consumer_id: int, city_id: int, store_id: int, now: datetime
) -> list[tuple[CouponOffer, datetime]]:
    """Every coupon the consumer could spend in this city now, with its expiry."""
    return _offers(session, consumer_id, city_id, store_id, now)


def _offers(session, consumer_id, city_id, store_id, now, coupon_id=None):
    participates = CampaignStore.store_id.isnot(None) | col(Campaign.all_stores)
    query = (
        select(Coupon, Campaign, CouponTemplate.categories, participates.label("participates"))
        .join(Campaign, col(Campaign.id) == col(Coupon.campaign_id))
        .join(CouponTemplate, col(CouponTemplate.id) == col(Coupon.template_id))
        .outerjoin(
            CampaignStore,
            and_(
                col(CampaignStore.campaign_id) == col(Campaign.id),
                col(CampaignStore.store_id) == store_id,
            ),
        )
        .where(
            col(Coupon.consumer_id) == consumer_id,
            col(Coupon.city_id) == city_id,
            col(Coupon.status) == "AVAILABLE",
            col(Coupon.valid_from) <= now,
            col(Coupon.valid_until) > now,
            col(Campaign.paused).is_(False),
            col(Campaign.starts_at) <= now,
            col(Campaign.ends_at) > now,
        )
        .order_by(Coupon.valid_until, Coupon.id)
    )
    if coupon_id is not None:
        query = query.where(col(Coupon.id) == coupon_id)
    return [
        (_offer(coupon, campaign, categories, bool(joined)), coupon.valid_until)
        for coupon, campaign, categories, joined in session.execute(query)
    ]


def _offer(coupon: Coupon, campaign: Campaign, categories, participates: bool) -> CouponOffer:
    return CouponOffer(
        coupon_id=coupon.id,
        campaign_id=campaign.id,
        threshold_fen=coupon.threshold_fen,
        discount_fen=coupon.discount_fen,
        categories=frozenset(categories or campaign.categories) or None,
        stacks_with_platform=campaign.stacks_with_platform,
        payment_method=campaign.payment_method,
        store_participates=participates,
        funding_pct=(
            campaign.funding_government_pct,
            campaign.funding_platform_pct,
            campaign.funding_merchant_pct,
        ),
    )
