"""Money: each order's ledger against what it was charged and given back; each campaign's
counters against its coupon rows and its live orders' discounts. One statement each."""

from sqlalchemy import case, func, or_, select
from sqlmodel import Session, col

from service.campaigns.models import Batch, Campaign, Coupon, PackClaim
from service.checks.differences import Difference
from service.orders.models import LedgerEntry, Order, OrderEvent
from service.payments.models import PAID, SUCCEEDED, Payment, Refund

CANCELLED = "CANCELLED"


def ledger_differences(session: Session) -> list[Difference]:
    """Per order: one charge of its payable once its payment succeeded (none before); refunds
    asked of the provider = all of it once a paid order is cancelled, else what its
    short-picks said; ledger refunds = the refunds that succeeded; never more refunded than
    charged."""
    amount, kind = col(LedgerEntry.amount_fen), col(LedgerEntry.kind)
    ledger = (
        select(
            col(LedgerEntry.order_id).label("order_id"),
            func.sum(case((kind == "charge", amount), else_=0)).label("charges"),
            func.sum(case((kind == "refund", amount), else_=0)).label("refunds"),
        )
        .group_by(col(LedgerEntry.order_id))
        .subquery()
    )
    picks = (
        select(
            col(OrderEvent.order_id).label("order_id"),
            func.sum(col(OrderEvent.data)["refund_fen"].as_integer()).label("fen"),
        )
        .where(col(OrderEvent.kind) == "short_picked")
        .group_by(col(OrderEvent.order_id))
        .subquery()
    )
    paid = select(Payment.order_id, Payment.amount_fen).where(col(Payment.status) == PAID)
    paid = paid.subquery()
    back = (
        select(
            col(Refund.order_id).label("order_id"),
            func.sum(col(Refund.amount_fen)).label("asked"),
            func.sum(
                case((col(Refund.status) == SUCCEEDED, col(Refund.amount_fen)), else_=0)
            ).label("succeeded"),
        )
        .group_by(col(Refund.order_id))
        .subquery()
    )
    charges = func.coalesce(ledger.c.charges, 0)
    refunds = func.coalesce(ledger.c.refunds, 0)
    charged = case((paid.c.order_id.is_not(None), col(Order.payable_fen)), else_=0)
    owed_back = case(
        (paid.c.order_id.is_(None), 0),
        (col(Order.status) == CANCELLED, col(Order.payable_fen)),
        else_=func.coalesce(picks.c.fen, 0),
    )
    asked, succeeded = func.coalesce(back.c.asked, 0), func.coalesce(back.c.succeeded, 0)
    rows = session.execute(
        select(
            Order.id,
            charged.label("charged"),
            charges.label("charges"),
            refunds.label("refunds"),
            owed_back.label("owed_back"),
            asked.label("asked"),
            succeeded.label("succeeded"),
        )
        .outerjoin(ledger, ledger.c.order_id == col(Order.id))
        .outerjoin(picks, picks.c.order_id == col(Order.id))
        .outerjoin(paid, paid.c.order_id == col(Order.id))
        .outerjoin(back, back.c.order_id == col(Order.id))
        .where(or_(charges != charged, asked != owed_back, refunds != succeeded, refunds > charges))
        .order_by(col(Order.id))
    ).all()
    found = []
    for row in rows:
        if row.charges != row.charged:
            found.append(
                Difference("ledger", "order", row.id, "charges_fen", row.charged, row.charges)
            )
        if row.asked != row.owed_back:
            found.append(
                Difference("ledger", "order", row.id, "refunds_asked_fen", row.owed_back, row.asked)
            )
        if row.refunds != row.succeeded:
            found.append(
                Difference("ledger", "order", row.id, "refunds_fen", row.succeeded, row.refunds)
            )
        if row.refunds > row.charges:
            found.append(
                Difference(
                    "ledger", "order", row.id, "net_paid_fen", ">= 0", row.charges - row.refunds
                )
            )
    return found


def campaign_differences(session: Session) -> list[Difference]:
    """Per campaign: redeemed_fen = its live orders' discounts = what its REDEEMED coupons
    stand for; issued_fen = its coupon rows' face value; packs_claimed = its pack claims."""
    live = col(Order.status) != CANCELLED
    orders = _per_campaign(
        Order,
        func.sum(col(Order.coupon_fen)).label("live_fen"),
        func.count().label("live_count"),
        where=live,
    )
    redeemed = case((col(Coupon.status) == "REDEEMED", 1), else_=0)
    coupons = _per_campaign(
        Coupon,
        func.sum(col(Coupon.discount_fen)).label("issued"),
        func.sum(redeemed).label("redeemed_rows"),
    )
    claims = _per_campaign(PackClaim, func.count().label("claims"))
    batches = _per_campaign(Batch, func.sum(col(Batch.packs_claimed)).label("claimed"))
    rows = session.execute(
        select(
            Campaign.id,
            Campaign.redeemed_fen,
            Campaign.issued_fen,
            orders.c.live_fen,
            orders.c.live_count,
            coupons.c.issued,
            coupons.c.redeemed_rows,
            claims.c.claims,
            batches.c.claimed,
        )
        .outerjoin(orders, orders.c.campaign_id == col(Campaign.id))
        .outerjoin(coupons, coupons.c.campaign_id == col(Campaign.id))
        .outerjoin(claims, claims.c.campaign_id == col(Campaign.id))
        .outerjoin(batches, batches.c.campaign_id == col(Campaign.id))
        .order_by(col(Campaign.id))
    ).all()
    found = []
    for r in rows:
        pairs = (
            ("redeemed_fen", r.live_fen, r.redeemed_fen),
            ("redeemed_coupons", r.live_count, r.redeemed_rows),
            ("issued_fen", r.issued, r.issued_fen),
            ("packs_claimed", r.claims, r.claimed),
        )
        found += [
            Difference("campaign", "campaign", r.id, what, int(rows_say or 0), int(counter or 0))
            for what, rows_say, counter in pairs
            if int(rows_say or 0) != int(counter or 0)
        ]
    return found


def coupon_differences(session: Session) -> list[Difference]:
    """A coupon is REDEEMED exactly while one live order holds it."""
    holders = (
        select(col(Order.coupon_id).label("coupon_id"), func.count().label("orders"))
        .where(col(Order.status) != CANCELLED, col(Order.coupon_id).is_not(None))
        .group_by(col(Order.coupon_id))
        .subquery()
    )
    held = func.coalesce(holders.c.orders, 0)
    expected = case((col(Coupon.status) == "REDEEMED", 1), else_=0)
    rows = session.execute(
        select(Coupon.id, Coupon.status, held.label("held"))
        .outerjoin(holders, holders.c.coupon_id == col(Coupon.id))
        .where(held != expected)
        .order_by(col(Coupon.id))
    ).all()
    return [
        Difference(
            "coupon",
            "coupon",
            r.id,
            f"live_orders_holding_a_{r.status}_coupon",
            1 if r.status == "REDEEMED" else 0,
            r.held,
        )
        for r in rows
    ]


def _per_campaign(table, *aggregates, where=None):
    query = select(col(table.campaign_id).label("campaign_id"), *aggregates)
    if where is not None:
        query = query.where(where)
    return query.group_by(col(table.campaign_id)).subquery()
