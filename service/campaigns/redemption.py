"""Spending coupons on orders and giving them back; expiring the unused."""

from datetime import datetime

from sqlalchemy import case, insert, update
from sqlmodel import Session, col

from service.campaigns.models import Campaign, Coupon, CouponEvent
from service.errors import Conflict
from service.orders.models import Order


def redeem_coupon(
    *,
    session: Session,
    coupon_id: int,
    consumer_id: int,
    order_id: int,
    discount_fen: int,
    now: datetime,
) -> None:
    """AVAILABLE -> REDEEMED inside the order's transaction; a coupon is never spent twice."""
    spent = session.execute(
        update(Coupon)
        .where(
            col(Coupon.id) == coupon_id,
            col(Coupon.consumer_id) == consumer_id,
            col(Coupon.status) == "AVAILABLE",
            col(Coupon.valid_from) <= now,
            col(Coupon.valid_until) > now,
        )
        .values(status="REDEEMED")
        .returning(col(Coupon.campaign_id), col(Coupon.city_id))
    ).first()
    if spent is None:
        raise Conflict(
            "this coupon is not available to spend", code="coupon_unavailable", field="coupon_id"
        )
    move_redeemed(session, spent.campaign_id, discount_fen)
    _event(session, coupon_id, spent.city_id, "redeemed", order_id, now)


def release_coupon(
    *, session: Session, coupon_id: int, order_id: int, discount_fen: int, now: datetime
) -> str:
    """Give a REDEEMED coupon back (AVAILABLE while valid, else EXPIRED); returns its new status."""
    back = session.execute(
        update(Coupon)
        .where(col(Coupon.id) == coupon_id, col(Coupon.status) == "REDEEMED")
        .values(status=case((col(Coupon.valid_until) > now, "AVAILABLE"), else_="EXPIRED"))
        .returning(col(Coupon.campaign_id), col(Coupon.city_id), col(Coupon.status))
    ).first()
    if back is None:
        raise Conflict("this coupon is not redeemed", code="coupon_not_redeemed")
    move_redeemed(session, back.campaign_id, -discount_fen)
    _event(session, coupon_id, back.city_id, "released", order_id, now)
    return back.status


def release_order_coupon(*, session: Session, order: Order, now: datetime) -> None:
    """Give back the coupon the order spent, if it spent one (a cancelled or failed order)."""
    if order.coupon_id is not None:
        release_coupon(
            session=session,
            coupon_id=order.coupon_id,
            order_id=order.id,
            discount_fen=order.coupon_fen,
            now=now,
        )


def expire_coupons(*, session: Session, now: datetime, city_id: int) -> int:
    """AVAILABLE coupons of one city past their validity become EXPIRED, each with an "expired"
    CouponEvent; returns how many. Two statements, however many coupons."""
    expired = (
        session.execute(
            update(Coupon)
            .where(
                col(Coupon.city_id) == city_id,
                col(Coupon.status) == "AVAILABLE",
                col(Coupon.valid_until) <= now,
            )
            .values(status="EXPIRED")
            .returning(col(Coupon.id))
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    if expired:
        # One parameter set per coupon: insertmanyvalues sends them as multi-row INSERTs.
        events = [
            {
                "coupon_id": coupon_id,
                "city_id": city_id,
                "kind": "expired",
                "order_id": None,
                "at": now,
            }
            for coupon_id in expired
        ]
        session.execute(insert(CouponEvent), events)
    return len(expired)


def move_redeemed(session: Session, campaign_id: int, delta_fen: int) -> None:
    session.execute(
        update(Campaign)
        .where(col(Campaign.id) == campaign_id)
        .values(redeemed_fen=col(Campaign.redeemed_fen) + delta_fen)
    )


def _event(session, coupon_id: int, city_id: int, kind: str, order_id: int, now) -> None:
    session.execute(
        insert(CouponEvent).values(
            coupon_id=coupon_id, city_id=city_id, kind=kind, order_id=order_id, at=now
        )
    )
