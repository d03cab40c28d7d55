"""Signed facts of orders: +1 on the day an order was placed, -1 on its cancel; and the goods'
value of short-picked units on the day they went missing.

A campaign's orders are found by `orders.campaign_id` (written at placement), never through its
coupons; a city's by `orders.city_id`.
"""

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import aliased
from sqlmodel import col

from service.orders.models import Order, OrderEvent

SHORT_PICKED = "short_picked"


def goods_missing(event=OrderEvent):
    """SQL: the goods' value (fen) of a short-pick event's missing units."""
    return event.data["goods_fen"].as_integer()


def line_of_short_pick():
    """SQL: the order line a short-pick event names."""
    return col(OrderEvent.data)["line_id"].as_integer()


def order_facts(orders_of, start, end):
    """Subquery (order_id, at, sign, store_id, subtotal, coupon, promotion) of the orders that
    `orders_of` (a condition on Order) selects, placed and cancelled in the range, carrying what
    the report sums (no second join). A cancel takes back the goods not already short-picked,
    so an order short-picked and then cancelled is never taken back twice."""
    carried = (
        col(Order.store_id).label("store_id"),
        col(Order.coupon_fen).label("coupon"),
        col(Order.promotion_fen).label("promotion"),
    )
    placed = select(
        col(Order.id).label("order_id"),
        col(Order.placed_at).label("at"),
        literal(1).label("sign"),
        col(Order.subtotal_fen).label("subtotal"),
        *carried,
    ).where(orders_of, col(Order.placed_at) >= start, col(Order.placed_at) < end)
    cancelled = (
        select(
            col(OrderEvent.order_id),
            col(OrderEvent.at),
            literal(-1),
            col(Order.subtotal_fen) - short_picked_goods(),
            *carried,
        )
        .join(Order, col(Order.id) == col(OrderEvent.order_id))
        .where(
            orders_of,
            col(OrderEvent.kind) == "cancelled",
            col(OrderEvent.at) >= start,
            col(OrderEvent.at) < end,
        )
    )
    return union_all(placed, cancelled).subquery("facts")


def short_picked_goods():
    """SQL: the goods short-picked from the outer query's order so far (its own few events,
    by the (order_id, id) index: a cancel is looked up, not every short-pick aggregated)."""
    event = aliased(OrderEvent)
    return (
        select(func.coalesce(func.sum(goods_missing(event)), 0))
        .where(event.order_id == col(Order.id), event.kind == SHORT_PICKED)
        .correlate(Order)
        .scalar_subquery()
    )


def of_campaign(campaign_id: int):
    """Condition on Order: the order used a coupon of the campaign."""
    return col(Order.campaign_id) == campaign_id


def of_city(city_id: int):
    """Condition on Order: the order is the city's."""
    return col(Order.city_id) == city_id
