"""What the pricing engine takes (lines, promotions, coupons, the fee) and what it answers (a
Quote with each line's share), as plain frozen values. All amounts are integer fen."""

from dataclasses import dataclass, field

FUNDERS = ("government", "platform", "merchant")


@dataclass(frozen=True)
class PriceLine:
    sku: str
    category: str
    qty: int
    unit_price_fen: int

    @property
    def amount_fen(self) -> int:
        return self.qty * self.unit_price_fen


@dataclass(frozen=True)
class PromotionRule:
    """Platform-funded automatic offer: `every_threshold` repeats, `threshold` applies once."""

    id: int
    name: str
    kind: str
    threshold_fen: int
    discount_fen: int
    cap_fen: int | None = None
    categories: frozenset[str] | None = None  # None: every category


@dataclass(frozen=True)
class CouponOffer:
    """One claimed coupon as pricing needs it, with what its campaign allows."""

    coupon_id: int
    campaign_id: int
    threshold_fen: int
    discount_fen: int
    categories: frozenset[str] | None = None  # None or empty: every category
    stacks_with_platform: bool = True
    payment_method: str | None = None  # the campaign's payment-method limit
    store_participates: bool = True
    funding_pct: tuple[int, int, int] = (100, 0, 0)  # government, platform, merchant


@dataclass(frozen=True)
class FeeRule:
    fee_fen: int
    free_from_fen: int  # goods payable at or above this: no fee


@dataclass(frozen=True)
class LineShare:
    sku: str
    amount_fen: int
    promotion_fen: int
    coupon_fen: int
    payable_fen: int


@dataclass(frozen=True)
class AppliedPromotion:
    id: int
    name: str
    eligible_fen: int
    discount_fen: int


@dataclass(frozen=True)
class AppliedCoupon:
    coupon_id: int
    campaign_id: int
    eligible_fen: int
    base_fen: int
    discount_fen: int
    funding: dict[str, int]


@dataclass(frozen=True)
class Quote:
    subtotal_fen: int
    promotion: AppliedPromotion | None
    coupon: AppliedCoupon | None
    coupon_refusal: str | None
    goods_payable_fen: int
    delivery_fee_fen: int
    payable_fen: int
    lines: list[LineShare]
    funding: dict[str, int] = field(default_factory=dict)
