"""The pricing rules of DESIGN.md section 3, table-driven from the seed's real offers."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.pricing.allocation import allocate
from service.pricing.engine import price
from service.pricing.terms import CouponOffer, FeeRule, PriceLine, PromotionRule

EVERY_299_OFF_50 = PromotionRule(1, "跨店每满299减50", "every_threshold", 29_900, 5_000)
FEE = FeeRule(fee_fen=500, free_from_fen=5_900)


def line(sku: str, yuan: float, category: str = "appliances", qty: int = 1) -> PriceLine:
    return PriceLine(sku, category, qty, round(yuan * 100))


def coupon(threshold_yuan: float, discount_yuan: float, **kw) -> CouponOffer:
    return CouponOffer(
        coupon_id=7,
        campaign_id=3,
        threshold_fen=round(threshold_yuan * 100),
        discount_fen=round(discount_yuan * 100),
        **kw,
    )


def test_650_yuan_of_appliances_with_every_299_off_50_gives_100_off():
    quote = price(lines=[line("fridge", 650)], promotions=[EVERY_299_OFF_50], fee=FEE)
    assert quote.promotion.discount_fen == 10_000
    assert quote.payable_fen == 55_000


def test_largest_promotion_wins_and_ties_go_to_the_lowest_id():
    once_60 = PromotionRule(5, "满500减60", "threshold", 50_000, 6_000)
    tie = PromotionRule(9, "满500减100", "threshold", 50_000, 10_000)
    quote = price(lines=[line("tv", 650)], promotions=[tie, once_60, EVERY_299_OFF_50], fee=FEE)
    assert quote.promotion.id == 1  # 100 off, tied with id 9: lowest id


def test_every_threshold_promotion_respects_its_cap():
    capped = PromotionRule(2, "每满100减10 最高30", "every_threshold", 10_000, 1_000, cap_fen=3_000)
    quote = price(lines=[line("x", 1_000)], promotions=[capped], fee=FEE)
    assert quote.promotion.discount_fen == 3_000


def test_category_promotion_counts_only_its_categories():
    digital = PromotionRule(
        2, "数码满300减30", "threshold", 30_000, 3_000, categories=frozenset({"phones_digital"})
    )
    basket = [line("phone", 200, "phones_digital"), line("milk", 200, "supermarket")]
    assert price(lines=basket, promotions=[digital], fee=FEE).promotion is None


def test_coupon_threshold_is_tested_on_its_base_after_the_promotions_share():
    # 600 yuan, promotion 100 off; a 满600减60 coupon sees a base of 500 and does not apply.
    basket = [line("washer", 600)]
    quote = price(lines=basket, promotions=[EVERY_299_OFF_50], fee=FEE, coupon=coupon(600, 60))
    assert quote.coupon is None and quote.coupon_refusal == "below_threshold"
    applies = price(lines=basket, promotions=[EVERY_299_OFF_50], fee=FEE, coupon=coupon(500, 60))
    assert applies.coupon.base_fen == 50_000
    assert applies.payable_fen == 60_000 - 10_000 - 6_000


def test_promotion_share_counts_only_lines_eligible_for_both():
    basket = [line("fridge", 400, "appliances"), line("oil", 200, "supermarket")]
    appliance_coupon = coupon(300, 50, categories=frozenset({"appliances"}))
    quote = price(lines=basket, promotions=[EVERY_299_OFF_50], fee=FEE, coupon=appliance_coupon)
    # promotion: 600 eligible -> 100 off; share on the 400 of appliances = floor(100*400/600)
    assert quote.coupon.base_fen == 40_000 - 6_666
    assert quote.coupon.discount_fen == 5_000


def test_no_threshold_coupon_is_capped_by_its_base():
    quote = price(lines=[line("bread", 8, "bakery")], promotions=[], fee=FEE, coupon=coupon(0, 10))
    assert quote.coupon.discount_fen == 800
    assert quote.goods_payable_fen == 0 and quote.payable_fen == 500


def test_non_stacking_campaign_takes_the_lower_payable():
    basket = [line("laptop", 700, "phones_digital")]
    big = coupon(500, 150, stacks_with_platform=False)
    quote = price(lines=basket, promotions=[EVERY_299_OFF_50], fee=FEE, coupon=big)
    assert quote.promotion is None and quote.coupon.discount_fen == 15_000
    small = coupon(500, 80, stacks_with_platform=False)
    quote = price(lines=basket, promotions=[EVERY_299_OFF_50], fee=FEE, coupon=small)
    assert quote.coupon is None and quote.promotion.discount_fen == 10_000


def test_non_stacking_tie_keeps_the_promotion_and_the_coupon():
    tie = coupon(500, 100, stacks_with_platform=False)
    quote = price(lines=[line("tv", 700)], promotions=[EVERY_299_OFF_50], fee=FEE, coupon=tie)
    assert quote.coupon is None and quote.promotion is not None
    assert quote.coupon_refusal == "promotion_alone_is_cheaper"


def test_fee_threshold_is_tested_on_goods_after_discounts():
    basket = [line("cake", 65, "bakery")]
    assert price(lines=basket, promotions=[], fee=FEE).delivery_fee_fen == 0
    quote = price(lines=basket, promotions=[], fee=FEE, coupon=coupon(30, 10))
    assert quote.goods_payable_fen == 5_500 and quote.delivery_fee_fen == 500
    assert quote.payable_fen == 6_000  # coupons never reduce the fee


def test_payment_method_limit_and_store_participation_refuse_the_coupon():
    digital_rmb = coupon(100, 30, payment_method="digital_rmb")
    basket = [line("milk", 150, "supermarket")]
    refused = price(lines=basket, promotions=[], fee=FEE, coupon=digital_rmb, payment_method="card")
    assert refused.coupon is None and refused.coupon_refusal == "payment_method_not_allowed"
    paid = price(
        lines=basket, promotions=[], fee=FEE, coupon=digital_rmb, payment_method="digital_rmb"
    )
    assert paid.coupon.discount_fen == 3_000
    elsewhere = coupon(100, 30, store_participates=False)
    assert price(lines=basket, promotions=[], fee=FEE, coupon=elsewhere).coupon is None


def test_discounts_are_allocated_to_lines_and_funders():
    basket = [
        line("a", 100.01, "supermarket"),
        line("b", 100.01, "supermarket"),
        line("c", 100.01, "supermarket"),
    ]
    funded = coupon(0, 100.01, funding_pct=(80, 10, 10))
    quote = price(lines=basket, promotions=[], fee=FEE, coupon=funded)
    assert [s.coupon_fen for s in quote.lines] == [3_334, 3_334, 3_333]
    assert quote.coupon.funding == {"government": 8_001, "platform": 1_000, "merchant": 1_000}


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (10_001, [1, 1, 1], [3_334, 3_334, 3_333]),
        (100, [1, 1, 1], [34, 33, 33]),
        (5, [100, 200, 300], [1, 2, 2]),
        (0, [5, 5], [0, 0]),
        (7, [0, 7], [0, 7]),
        (3, [1, 1, 1, 1], [1, 1, 1, 0]),
    ],
)
def test_allocation_vectors(total, weights, expected):
    assert allocate(total, weights) == expected


@given(st.lists(st.integers(0, 10**7), min_size=1, max_size=12), st.data())
def test_allocation_sums_exactly_and_never_exceeds_a_weight(weights, data):
    total = data.draw(st.integers(0, sum(weights)))
    if sum(weights) == 0:
        total = 0
    shares = allocate(total, weights)
    assert sum(shares) == total
    assert all(0 <= s <= w for s, w in zip(shares, weights, strict=True))


CATEGORIES = ["appliances", "supermarket", "bakery"]
lines_strategy = st.lists(
    st.builds(
        PriceLine,
        sku=st.text("abc", min_size=1, max_size=3),
        category=st.sampled_from(CATEGORIES),
        qty=st.integers(1, 5),
        unit_price_fen=st.integers(1, 500_000),
    ),
    min_size=1,
    max_size=6,
)
promotion_strategy = st.builds(
    PromotionRule,
    id=st.integers(1, 5),
    name=st.just("p"),
    kind=st.sampled_from(["every_threshold", "threshold"]),
    threshold_fen=st.integers(1_000, 100_000),
    discount_fen=st.integers(100, 20_000),
    cap_fen=st.none() | st.integers(100, 50_000),
    categories=st.none() | st.frozensets(st.sampled_from(CATEGORIES), min_size=1),
)
coupon_strategy = st.builds(
    CouponOffer,
    coupon_id=st.just(1),
    campaign_id=st.just(1),
    threshold_fen=st.integers(0, 200_000),
    discount_fen=st.integers(1, 100_000),
    categories=st.none() | st.frozensets(st.sampled_from(CATEGORIES), min_size=1),
    stacks_with_platform=st.booleans(),
    funding_pct=st.sampled_from([(100, 0, 0), (80, 10, 10), (0, 100, 0), (33, 33, 34)]),
)


@given(lines_strategy, st.lists(promotion_strategy, max_size=3), st.none() | coupon_strategy)
def test_any_basket_prices_consistently(lines, promotions, offer):
    quote = price(lines=lines, promotions=promotions, fee=FEE, coupon=offer)
    promotion = quote.promotion.discount_fen if quote.promotion else 0
    discount = quote.coupon.discount_fen if quote.coupon else 0
    assert sum(s.promotion_fen for s in quote.lines) == promotion
    assert sum(s.coupon_fen for s in quote.lines) == discount
    assert all(
        s.payable_fen >= 0 and s.promotion_fen >= 0 and s.coupon_fen >= 0 for s in quote.lines
    )
    assert quote.goods_payable_fen == quote.subtotal_fen - promotion - discount >= 0
    assert quote.payable_fen >= quote.delivery_fee_fen >= 0
    if quote.coupon:
        assert sum(quote.coupon.funding.values()) == discount
    assert sum(quote.funding.values()) == promotion + discount


def test_coupon_shares_follow_line_amounts_not_what_the_promotion_left():
    appliances_only = PromotionRule(
        2, "家电满300减100", "threshold", 30_000, 10_000, categories=frozenset({"appliances"})
    )
    basket = [line("kettle", 300, "appliances"), line("oil", 300, "supermarket")]
    quote = price(lines=basket, promotions=[appliances_only], fee=FEE, coupon=coupon(0, 60))
    assert [s.coupon_fen for s in quote.lines] == [3_000, 3_000]


def test_a_coupon_share_never_takes_a_line_below_zero():
    nearly_free = PromotionRule(
        2, "家电满100减90", "threshold", 10_000, 9_000, categories=frozenset({"appliances"})
    )
    basket = [line("kettle", 100, "appliances"), line("oil", 100, "supermarket")]
    quote = price(lines=basket, promotions=[nearly_free], fee=FEE, coupon=coupon(0, 60))
    assert [s.coupon_fen for s in quote.lines] == [1_000, 5_000]
    assert [s.payable_fen for s in quote.lines] == [0, 5_000]
