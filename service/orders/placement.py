"""Placing an order: match, reserve, price, redeem, record, open its payment; one transaction."""

import secrets
from datetime import datetime
from functools import partial
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, select
from sqlmodel import Session, col

from service.campaigns.redemption import redeem_coupon
from service.catalog.models import Product
from service.cities.service import city_for_point, city_zone
from service.errors import Conflict, InvalidInput, Unprocessable
from service.failpoints import failpoint
from service.orders import idempotency, matching, states
from service.orders.explain import explain
from service.orders.models import Order, OrderLine
from service.orders.refusals import count_refusal
from service.orders.schemas import OrderIn, OrderPlacedRead
from service.orders.stock import reserve
from service.orders.views import order_read
from service.payments.models import Payment
from service.payments.service import open_payment
from service.pricing.inputs import active_promotions
from service.pricing.service import Basket, price_basket, quote_read
from service.pricing.terms import FeeRule, PriceLine


class Placed(NamedTuple):
    """The answer, and what the checkout needs next: the payment this request opened and the
    city's zone (None when the key's earlier answer was replayed)."""

    status: int
    body: dict
    payment: Payment | None = None
    zone: ZoneInfo | None = None


def place_order(
    *,
    session: Session,
    consumer_id: int,
    order_in: OrderIn,
    key: str,
    now: datetime,
    prefilter: bool = True,
) -> Placed:
    """Place the order (201) or replay the answer already given for this key.

    prefilter=False only serves the benchmark's naive baseline (see matching.find_candidates).
    """
    digest = idempotency.request_hash(order_in.model_dump(mode="json"))
    try:
        key_id = idempotency.claim_key(
            session, consumer_id=consumer_id, key=key, digest=digest, now=now
        )
    except idempotency.Replay as replay:
        return Placed(replay.status, replay.body)
    city = city_for_point(session=session, lat=order_in.lat, lon=order_in.lon)
    want = wanted(session, order_in, consumer_id)
    chosen, prices = _reserve_best(session, city, order_in, want, now, prefilter)
    failpoint("order.after_reserve")
    chosen = matching.measured(chosen, order_in.lat, order_in.lon, city, now)
    basket = _reserved_basket(session, city, chosen.store, want, prices, order_in, now)
    priced = price_basket(
        session=session,
        basket=basket,
        consumer_id=consumer_id,
        coupon_id=order_in.coupon_id,
        now=now,
    )
    _check_price(order_in, basket, priced)
    order, lines, payment = _record(
        session, consumer_id, order_in, chosen, basket, priced, want, now
    )
    body = OrderPlacedRead(
        order=order_read(
            session,
            order,
            chosen.distance_km,
            store=chosen.store,
            lines=lines,
            events=[],  # no event yet: no store, courier or deadline sees an unpaid order
            opened=payment,
        ),
        breakdown=quote_read(basket, priced, None),
    ).model_dump(mode="json")
    idempotency.remember(session, key_id, status=201, body=body, order_id=order.id)
    failpoint("order.before_commit")
    return Placed(201, body, payment, city_zone(basket.city))


PRODUCTS_BY_SKU = select(Product.sku, Product.id, Product.name, Product.category).where(
    col(Product.sku).in_(bindparam("skus", expanding=True))
)


def wanted(session: Session, order_in: OrderIn, consumer_id: int) -> matching.Want:
    """Product quantities by id, and the campaign scope of the named coupon."""
    skus = list({item.sku for item in order_in.items})
    rows = session.connection().execute(PRODUCTS_BY_SKU, {"skus": skus})
    found = {row.sku: tuple(row[1:]) for row in rows}
    # In the request's order: pricing gives leftover fen to earlier lines, as the quote does.
    products = {item.sku: found[item.sku] for item in order_in.items if item.sku in found}
    qty: dict[int, int] = {}
    for index, item in enumerate(order_in.items):
        if item.sku not in products:
            raise InvalidInput(
                f"no product {item.sku}", code="unknown_sku", field=f"items.{index}.sku"
            )
        product_id = products[item.sku][0]
        qty[product_id] = qty.get(product_id, 0) + item.qty
    scope = matching.coupon_scope(session, order_in.coupon_id, consumer_id)
    return matching.Want(qty, *scope, products=products)


def _reserved_basket(session, city, store, want, prices, order_in: OrderIn, now) -> Basket:
    """The basket at the prices its stock was reserved at: no second read of the store."""
    lines = [
        PriceLine(sku, category, want.qty[product_id], prices[product_id])
        for sku, (product_id, _, category) in want.products.items()
    ]
    names = {sku: name for sku, (_, name, _) in want.products.items()}
    fee = FeeRule(city.delivery_fee_fen, city.free_delivery_from_fen)
    promotions = active_promotions(session, city.id, now)
    return Basket(city, store, lines, names, promotions, fee, order_in.payment_method)


def _reserve_best(session, city, order_in: OrderIn, want, now, prefilter):
    search = {
        "session": session,
        "city": city,
        "lat": order_in.lat,
        "lon": order_in.lon,
        "want": want,
        "now": now,
        "store_id": order_in.store_id,
    }
    candidates = matching.find_candidates(**search, prefilter=prefilter)
    failpoint("order.after_checks")
    for candidate in candidates:  # a lost race for stock moves on to the next
        prices = reserve(session, candidate.store.id, want.qty, now)
        if prices:
            return candidate, prices
    reasons = explain(**search)
    day = now.astimezone(city_zone(city)).date()
    raise Conflict(
        "no store can deliver this order within the hour",
        code="no_store_available",
        details={"reasons": reasons},
        after_rollback=partial(count_refusal, city_id=city.id, day=day, reasons=reasons),
    )


def _check_price(order_in: OrderIn, basket, priced) -> None:
    if order_in.coupon_id is not None and priced.coupon is None:
        raise Unprocessable(
            "the coupon does not apply to this order",
            code="coupon_not_applicable",
            field="coupon_id",
            details={"reason": priced.coupon_refusal},
        )
    expected = order_in.expected_payable_fen
    if expected is not None and expected != priced.payable_fen:
        quote = quote_read(basket, priced, None).model_dump(mode="json")
        raise Conflict(
            f"the price is now {priced.payable_fen} fen, not {expected}",
            code="price_changed",
            field="expected_payable_fen",
            details={"quote": quote},
        )


def _record(session, consumer_id, order_in, chosen, basket, priced, want, now):
    order = Order(
        city_id=basket.city.id,
        consumer_id=consumer_id,
        store_id=chosen.store.id,
        status=states.AWAITING_PAYMENT,
        payment_method=order_in.payment_method,
        address=order_in.address,
        lat=order_in.lat,
        lon=order_in.lon,
        subtotal_fen=priced.subtotal_fen,
        promotion_fen=priced.promotion.discount_fen if priced.promotion else 0,
        coupon_fen=priced.coupon.discount_fen if priced.coupon else 0,
        delivery_fee_fen=priced.delivery_fee_fen,
        payable_fen=priced.payable_fen,
        promotion_id=priced.promotion.id if priced.promotion else None,
        coupon_id=priced.coupon.coupon_id if priced.coupon else None,
        campaign_id=priced.coupon.campaign_id if priced.coupon else None,
        handoff_code=f"{secrets.randbelow(10_000):04d}",
        tried_store_ids=[chosen.store.id],
        # until it is paid (service.orders.paid): the creation time and the ETA as of now
        placed_at=now,
        promised_at=now + matching.PROMISE,
        eta_at=chosen.eta,
        updated_at=now,
    )
    session.add(order)
    session.flush()
    lines = _insert_lines(session, order, basket, priced, want.products)
    if order.coupon_id is not None:
        redeem_coupon(
            session=session,
            coupon_id=order.coupon_id,
            consumer_id=consumer_id,
            order_id=order.id,
            discount_fen=order.coupon_fen,
            now=now,
        )
    return order, lines, open_payment(session, order=order, city=basket.city, now=now)


def _insert_lines(session: Session, order: Order, basket, priced, products) -> list[dict]:
    units = {line.sku: line for line in basket.lines}
    rows = [
        {
            "order_id": order.id,
            "city_id": order.city_id,
            "product_id": products[s.sku][0],
            "sku": s.sku,
            "name": basket.names[s.sku],
            "category": units[s.sku].category,
            "qty": units[s.sku].qty,
            "unit_price_fen": units[s.sku].unit_price_fen,
            "amount_fen": s.amount_fen,
            "promotion_share_fen": s.promotion_fen,
            "coupon_share_fen": s.coupon_fen,
        }
        for s in priced.lines
    ]
    session.execute(insert(OrderLine), rows)
    return rows
