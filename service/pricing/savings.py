"""What each of the consumer's usable coupons would save on a basket, and the nearest
threshold not yet reached ("add 12 yuan more to save 30")."""

from service.pricing.engine import price
from service.pricing.terms import CouponOffer, PriceLine, Quote


def coupon_options(basket, offers: list, baseline: Quote) -> list[dict]:
    """Each usable coupon priced on the basket: its saving (0 if it does not apply) and why not."""
    options = []
    for offer, valid_until in offers:  # ordered by expiry, then id
        priced = price(
            lines=basket.lines,
            promotions=basket.promotions,
            fee=basket.fee,
            coupon=offer,
            payment_method=basket.payment_method,
        )
        applies = priced.coupon is not None
        options.append(
            {
                "coupon_id": offer.coupon_id,
                "threshold_fen": offer.threshold_fen,
                "discount_fen": offer.discount_fen,
                "valid_until": valid_until,
                "payable_fen": priced.payable_fen,
                "refusal": None if applies else priced.coupon_refusal,
                "saves_fen": max(0, baseline.payable_fen - priced.payable_fen) if applies else 0,
                "add_fen": _missing(basket.lines, offer, baseline) if not applies else 0,
            }
        )
    return options


def next_threshold(options: list[dict]) -> dict | None:
    """The coupon short of its threshold that needs the least more (ties: the bigger saving)."""
    short = [o for o in options if o["refusal"] == "below_threshold"]
    if not short:
        return None
    best = min(short, key=lambda o: (o["add_fen"], -o["discount_fen"]))
    return {
        "coupon_id": best["coupon_id"],
        "add_fen": best["add_fen"],
        "saves_fen": best["discount_fen"],
    }


def _missing(lines: list[PriceLine], offer: CouponOffer, baseline: Quote) -> int:
    """How much more of the coupon's categories reaches its threshold; the promotion's
    discount counts against the base (DESIGN section 3), so it is added back, at most."""
    eligible = sum(
        line.amount_fen
        for line in lines
        if not offer.categories or line.category in offer.categories
    )
    promotion = baseline.promotion.discount_fen if baseline.promotion else 0
    return max(1, offer.threshold_fen - eligible + promotion)
