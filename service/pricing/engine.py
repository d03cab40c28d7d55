"""The pricing rules of DESIGN.md section 3, as one pure function over plain values.

Quotes and orders both call `price`, so a quote and the order placed from it can never differ.
All amounts are integer fen.
"""

from dataclasses import dataclass, replace

from service.pricing.allocation import allocate
from service.pricing.terms import (
    FUNDERS,
    AppliedCoupon,
    AppliedPromotion,
    CouponOffer,
    FeeRule,
    LineShare,
    PriceLine,
    PromotionRule,
    Quote,
)


@dataclass(frozen=True)
class _Chosen:
    """A discount decided for a basket: what it is, which lines it covers, each line's share."""

    applied: AppliedPromotion | AppliedCoupon
    mask: list[bool]
    shares: list[int]


def price(
    *,
    lines: list[PriceLine],
    promotions: list[PromotionRule],
    fee: FeeRule,
    coupon: CouponOffer | None = None,
    payment_method: str | None = None,
) -> Quote:
    """Price a basket: promotion, then at most one coupon, then the delivery fee."""
    chosen = best_promotion(lines, promotions)
    promoted = _quote(lines, chosen, None, fee)
    if coupon is None:
        return promoted
    refusal = _coupon_refusal(coupon, payment_method)
    if refusal:
        return replace(promoted, coupon_refusal=refusal)
    stacked = chosen if coupon.stacks_with_platform else None
    applied = _apply_coupon(lines, coupon, stacked)
    if isinstance(applied, str):
        return replace(promoted, coupon_refusal=applied)
    with_coupon = _quote(lines, stacked, applied, fee)
    if coupon.stacks_with_platform or with_coupon.payable_fen < promoted.payable_fen:
        return with_coupon
    # Not stackable and no cheaper than the promotion alone: keep the promotion and the coupon.
    return replace(promoted, coupon_refusal="promotion_alone_is_cheaper")


def best_promotion(lines: list[PriceLine], promotions: list[PromotionRule]) -> _Chosen | None:
    """The promotion with the largest discount on its own eligible amount (ties: lowest id)."""
    best = None
    for rule in sorted(promotions, key=lambda r: r.id):
        mask = _mask(lines, rule.categories)
        eligible = _masked_sum([ln.amount_fen for ln in lines], mask)
        discount = promotion_discount(rule, eligible)
        if discount > 0 and (best is None or discount > best.applied.discount_fen):
            shares = _spread(discount, [ln.amount_fen for ln in lines], mask)
            applied = AppliedPromotion(rule.id, rule.name, eligible, discount)
            best = _Chosen(applied, mask, shares)
    return best


def promotion_discount(rule: PromotionRule, eligible_fen: int) -> int:
    """每满 T 减 D (repeating, optionally capped) or 满 T 减 D (once)."""
    if rule.kind == "every_threshold":
        discount = eligible_fen // rule.threshold_fen * rule.discount_fen
        if rule.cap_fen is not None:
            discount = min(discount, rule.cap_fen)
    elif rule.kind == "threshold":
        discount = rule.discount_fen if eligible_fen >= rule.threshold_fen else 0
    else:
        raise ValueError(f"unknown promotion kind {rule.kind!r}")
    return min(discount, eligible_fen)


def _mask(lines: list[PriceLine], categories: frozenset[str] | None) -> list[bool]:
    return [not categories or line.category in categories for line in lines]


def _masked_sum(values: list[int], mask: list[bool]) -> int:
    return sum(v for v, m in zip(values, mask, strict=True) if m)


def _spread(total: int, weights: list[int], mask: list[bool]) -> list[int]:
    """Allocate `total` over the masked lines by weight; unmasked lines get 0."""
    picked = [w for w, m in zip(weights, mask, strict=True) if m]
    shares = iter(allocate(total, picked))
    return [next(shares) if m else 0 for m in mask]


def _coupon_refusal(coupon: CouponOffer, payment_method: str | None) -> str | None:
    if not coupon.store_participates:
        return "store_not_in_campaign"
    if coupon.payment_method and coupon.payment_method != payment_method:
        return "payment_method_not_allowed"
    return None


def _apply_coupon(
    lines: list[PriceLine], coupon: CouponOffer, promotion: _Chosen | None
) -> _Chosen | str:
    """The coupon on its base: eligible amount less the promotion's share of the overlap."""
    amounts = [line.amount_fen for line in lines]
    mask = _mask(lines, coupon.categories)
    eligible = _masked_sum(amounts, mask)
    if eligible == 0:
        return "no_eligible_items"
    left = amounts
    promotion_share = 0
    if promotion is not None:
        overlap = [m and p for m, p in zip(mask, promotion.mask, strict=True)]
        promotion_share = (
            promotion.applied.discount_fen
            * _masked_sum(amounts, overlap)
            // promotion.applied.eligible_fen
        )
        left = [a - s for a, s in zip(amounts, promotion.shares, strict=True)]
    base = eligible - promotion_share
    if base <= 0 or base < coupon.threshold_fen:
        return "below_threshold"
    discount = min(coupon.discount_fen, base, _masked_sum(left, mask))
    funding = dict(zip(FUNDERS, allocate(discount, list(coupon.funding_pct)), strict=True))
    applied = AppliedCoupon(coupon.coupon_id, coupon.campaign_id, eligible, base, discount, funding)
    return _Chosen(applied, mask, _within(_spread(discount, amounts, mask), left, mask))


def _within(shares: list[int], left: list[int], mask: list[bool]) -> list[int]:
    """Cap each share at what is left of its line; spread the excess over the others' room."""
    capped = [min(s, room) for s, room in zip(shares, left, strict=True)]
    excess = sum(shares) - sum(capped)
    if not excess:
        return shares
    room = [r - c for r, c in zip(left, capped, strict=True)]
    extra = _spread(excess, room, mask)
    return [c + e for c, e in zip(capped, extra, strict=True)]


def _quote(
    lines: list[PriceLine], promotion: _Chosen | None, coupon: _Chosen | None, fee: FeeRule
) -> Quote:
    zero = [0] * len(lines)
    promotion_shares = promotion.shares if promotion else zero
    coupon_shares = coupon.shares if coupon else zero
    subtotal = sum(line.amount_fen for line in lines)
    goods = subtotal - sum(promotion_shares) - sum(coupon_shares)
    delivery_fee = 0 if goods >= fee.free_from_fen else fee.fee_fen
    shares = [
        LineShare(ln.sku, ln.amount_fen, p, c, ln.amount_fen - p - c)
        for ln, p, c in zip(lines, promotion_shares, coupon_shares, strict=True)
    ]
    funding = dict.fromkeys(FUNDERS, 0)
    if promotion:
        funding["platform"] += promotion.applied.discount_fen
    if coupon:
        for funder, amount in coupon.applied.funding.items():
            funding[funder] += amount
    return Quote(
        subtotal_fen=subtotal,
        promotion=promotion.applied if promotion else None,
        coupon=coupon.applied if coupon else None,
        coupon_refusal=None,
        goods_payable_fen=goods,
        delivery_fee_fen=delivery_fee,
        payable_fen=goods + delivery_fee,
        lines=shares,
        funding=funding,
    )
