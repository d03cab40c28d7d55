"""Quotes: the pricing engine fed from the database, with the best coupon suggested."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from service.cities.models import City
from service.cities.service import city_for_point
from service.errors import NotFound
from service.pricing import inputs
from service.pricing.engine import price
from service.pricing.savings import coupon_options, next_threshold
from service.pricing.schemas import CouponOptionRead, NextThresholdRead, QuoteIn, QuoteRead
from service.pricing.terms import FeeRule, PriceLine, Quote
from service.stores.models import Store


@dataclass(frozen=True)
class Basket:
    """Everything pricing needs about one basket at one store, loaded once."""

    city: City
    store: Store
    lines: list[PriceLine]
    names: dict[str, str]
    promotions: list
    fee: FeeRule
    payment_method: str


def load_basket(*, session: Session, quote_in: QuoteIn, store_id: int, now: datetime) -> Basket:
    """The basket priced at `store_id`, in the city that serves the address."""
    city = city_for_point(session=session, lat=quote_in.lat, lon=quote_in.lon)
    store = session.get(Store, store_id)
    if store is None or store.city_id != city.id:
        raise NotFound(f"no store {store_id} serves this address's city", field="store_id")
    lines, names = inputs.basket_lines(session, store.id, quote_in.items)
    fee = FeeRule(city.delivery_fee_fen, city.free_delivery_from_fen)
    promotions = inputs.active_promotions(session, city.id, now)
    return Basket(city, store, lines, names, promotions, fee, quote_in.payment_method)


def price_basket(
    *, session: Session, basket: Basket, consumer_id: int, coupon_id: int | None, now: datetime
) -> Quote:
    """Price the basket with the named coupon (or none)."""
    offer = None
    if coupon_id is not None:
        offer = inputs.named_offer(
            session,
            consumer_id=consumer_id,
            coupon_id=coupon_id,
            city_id=basket.city.id,
            store_id=basket.store.id,
            now=now,
        )
    return price(
        lines=basket.lines,
        promotions=basket.promotions,
        fee=basket.fee,
        coupon=offer,
        payment_method=basket.payment_method,
    )


def quote(*, session: Session, consumer_id: int, quote_in: QuoteIn, now: datetime) -> QuoteRead:
    """The full breakdown for a basket; without a coupon, the best usable one is suggested.

    Every usable coupon's saving and the nearest threshold not reached come with it."""
    basket = load_basket(session=session, quote_in=quote_in, store_id=quote_in.store_id, now=now)
    priced = price_basket(
        session=session,
        basket=basket,
        consumer_id=consumer_id,
        coupon_id=quote_in.coupon_id,
        now=now,
    )
    baseline = priced
    if quote_in.coupon_id is not None:  # savings are against the basket without a coupon
        baseline = price_basket(
            session=session, basket=basket, consumer_id=consumer_id, coupon_id=None, now=now
        )
    offers = inputs.usable_offers(
        session, consumer_id=consumer_id, city_id=basket.city.id, store_id=basket.store.id, now=now
    )
    options = coupon_options(basket, offers, baseline)
    suggestion = suggest_coupon(options, baseline) if quote_in.coupon_id is None else None
    hint = next_threshold(options)
    return quote_read(basket, priced, suggestion).model_copy(
        update={
            "coupons": [CouponOptionRead(**option) for option in options],
            "next_threshold": NextThresholdRead(**hint) if hint else None,
        }
    )


def suggest_coupon(options: list[dict], baseline: Quote) -> dict | None:
    """The usable coupon giving the lowest payable (ties: the one expiring first)."""
    best = None
    for option in options:  # already ordered by expiry, then id
        if option["saves_fen"] and (best is None or option["payable_fen"] < best["payable_fen"]):
            best = option
    if best is None or best["payable_fen"] >= baseline.payable_fen:
        return None
    return {
        "coupon_id": best["coupon_id"],
        "payable_fen": best["payable_fen"],
        "saves_fen": baseline.payable_fen - best["payable_fen"],
    }


def quote_read(basket: Basket, priced: Quote, suggestion: dict | None) -> QuoteRead:
    """The API view of a priced basket."""
    units = {line.sku: line for line in basket.lines}
    lines = [
        {
            **share.__dict__,
            "name": basket.names[share.sku],
            "category": units[share.sku].category,
            "qty": units[share.sku].qty,
            "unit_price_fen": units[share.sku].unit_price_fen,
        }
        for share in priced.lines
    ]
    return QuoteRead(
        store={"id": basket.store.id, "name": basket.store.name},
        lines=lines,
        subtotal_fen=priced.subtotal_fen,
        promotion=priced.promotion,
        coupon=priced.coupon,
        coupon_refusal=priced.coupon_refusal,
        goods_payable_fen=priced.goods_payable_fen,
        delivery_fee_fen=priced.delivery_fee_fen,
        payable_fen=priced.payable_fen,
        funding=priced.funding,
        suggested_coupon=suggestion,
    )
