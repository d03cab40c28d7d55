"""Signed facts of a campaign's orders: +1 on the day an order was placed, -1 on its cancel."""

from sqlalchemy import literal, select, union_all
from sqlmodel import col

from service.campaigns.models import Coupon
from service.orders.models import Order, OrderEvent


def order_facts(campaign_id: int, start, end):
    """Subquery (order_id, at, sign, store_id, subtotal, coupon, promotion): the campaign's
    orders placed and cancelled in the range, carrying what the report sums (no second join)."""
    joined = of_campaign(campaign_id)
    carried = (
        col(Order.store_id).label("store_id"),
        col(Order.subtotal_fen).label("subtotal"),
        col(Order.coupon_fen).label("coupon"),
        col(Order.promotion_fen).label("promotion"),
    )
    placed = (
        select(
            col(Order.id).label("order_id"),
            col(Order.placed_at).label("at"),
            literal(1).label("sign"),
            *carried,
        )
        .join(Coupon, joined)
        .where(col(Order.placed_at) >= start, col(Order.placed_at) < end)
    )
    cancelled = (
        select(col(OrderEvent.order_id), col(OrderEvent.at), literal(-1), *carried)
        .join(Order, col(Order.id) == col(OrderEvent.order_id))
        .join(Coupon, joined)
        .where(
            col(OrderEvent.kind) == "cancelled",
            col(OrderEvent.at) >= start,
            col(OrderEvent.at) < end,
        )
    )
    return union_all(placed, cancelled).subquery("facts")


def of_campaign(campaign_id: int):
    """ON clause joining Coupon to Order: the order used a coupon of the campaign."""
    return (col(Coupon.id) == col(Order.coupon_id)) & (col(Coupon.campaign_id) == campaign_id)
