"""Reconciliation: the campaign's counters, its coupon rows and its events/ledger must agree.

A compensation campaign's coupons are granted to late deliveries, not claimed in packs: its
one pack claim per consumer carries face value 0 and every coupon he was granted, so its
issued figures are checked against the deliveries that were compensated instead.

Money (DESIGN s9): the ledger holds what moved. Paid orders' payable = their PAID payments =
ledger charges; refunds that succeeded at the provider = ledger refunds; a cancelled paid order's
refunds asked for (requested, succeeded or failed) = its payable. Refunds still pending and those
failed are shown apart; orders closed unpaid charge nothing. `reconciled`: computed, and no
check differs.
"""

from sqlalchemy import and_, case, func, literal, select, true, union_all
from sqlmodel import Session, col

from service.campaigns.models import (
    Batch,
    Campaign,
    Coupon,
    CouponEvent,
    CouponTemplate,
    PackClaim,
)
from service.deliveries.compensation import is_compensation
from service.deliveries.models import Delivery
from service.orders.models import LedgerEntry, Order
from service.payments.models import FAILED, PAID, REQUESTED, SUCCEEDED, Payment, Refund


def reconcile(session: Session, campaign: Campaign) -> dict:
    """{"reconciled": bool, "checks": [...], "differences": [checks that disagree]}.

    One statement: one aggregate per table, joined on nothing, so the database is asked once.
    """
    parts = [*_coupon_side(campaign.id), *_order_side(campaign.id)]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.join(part, true())
    v = session.execute(select(*parts).select_from(joined)).mappings().one()
    checks = [
        *_issued_checks(session, campaign, v),
        _check("packs_claimed", campaign=v["claimed"], pack_claims=v["packs"]),
        _check(
            "redeemed_fen",
            campaign=campaign.redeemed_fen,
            orders=v["live_fen"],
            coupon_events=v["events_fen"],
        ),
        _check(
            "redeemed_count",
            coupon_rows=v["redeemed_rows"],
            orders=v["live_count"],
            coupon_events=v["events_count"],
        ),
        _check(
            "charged_fen",
            paid_orders=v["charged"],
            payments=v["paid_fen"],
            ledger=v["ledger_charged"],
        ),
        _check("refunded_fen", refunds=v["refunds_done"], ledger=v["ledger_refunded"]),
        _check("cancel_refunds_fen", orders=v["refunded"], refunds=v["refunds_cancelled"]),
    ]
    differences = [check for check in checks if len(set(check["values"].values())) > 1]
    apart = {
        "refunds_pending_fen": int(v["refunds_pending"] or 0),
        "refunds_failed_fen": int(v["refunds_failed"] or 0),
        "closed_unpaid_orders": int(v["closed_unpaid"] or 0),
    }
    return {
        "reconciled": not differences,
        "checks": checks,
        "differences": differences,
        "money_apart": apart,
    }


def _issued_checks(session: Session, campaign: Campaign, v) -> list[dict]:
    if is_compensation(campaign):
        granted = session.execute(
            select(func.count(), func.sum(col(Coupon.discount_fen)))
            .select_from(Delivery)
            .join(Coupon, col(Coupon.id) == col(Delivery.compensation_coupon_id))
            .where(col(Coupon.campaign_id) == campaign.id)
        ).one()
        return [
            _check(
                "issued_fen",
                campaign=campaign.issued_fen,
                coupon_rows=v["coupon_fen"],
                granted=granted[1],
            ),
            _check("issued_count", coupon_rows=v["coupons"], granted=granted[0]),
        ]
    return [
        _check(
            "issued_fen",
            campaign=campaign.issued_fen,
            coupon_rows=v["coupon_fen"],
            pack_claims=v["face_fen"],
        ),
        _check(
            "issued_count",
            coupon_rows=v["coupons"],
            pack_claims=int(v["packs"] or 0) * int(v["per_pack"] or 0),
        ),
    ]


def _check(name: str, **values: int) -> dict:
    return {"check": name, "values": {k: int(v or 0) for k, v in values.items()}}


def _of(table, campaign_id: int, *aggregates):
    """Subquery: aggregates over the campaign's rows of `table`."""
    return select(*aggregates).where(col(table.campaign_id) == campaign_id).subquery()


def _coupon_side(campaign_id: int) -> list:
    """Pack claims, coupon rows, the pack's size and the batch counters."""
    redeemed = case((col(Coupon.status) == "REDEEMED", 1), else_=0)
    return [
        _of(
            PackClaim,
            campaign_id,
            func.count().label("packs"),
            func.sum(col(PackClaim.face_value_fen)).label("face_fen"),
        ),
        _of(
            Coupon,
            campaign_id,
            func.count().label("coupons"),
            func.sum(col(Coupon.discount_fen)).label("coupon_fen"),
            func.sum(redeemed).label("redeemed_rows"),
        ),
        _of(CouponTemplate, campaign_id, func.sum(col(CouponTemplate.quantity)).label("per_pack")),
        _of(Batch, campaign_id, func.sum(col(Batch.packs_claimed)).label("claimed")),
    ]


def _order_side(campaign_id: int) -> list:
    """The campaign's orders (by orders.campaign_id) with their payments, then their ledger
    entries and coupon events as one stream joined to those orders once, then their refunds."""
    live = col(Order.status) != "CANCELLED"
    paid = col(Payment.status) == PAID
    orders = (
        select(
            func.sum(case((live, 1), else_=0)).label("live_count"),
            func.sum(case((live, col(Order.coupon_fen)), else_=0)).label("live_fen"),
            func.sum(case((paid, col(Order.payable_fen)), else_=0)).label("charged"),
            func.sum(case((paid, col(Payment.amount_fen)), else_=0)).label("paid_fen"),
            func.sum(case((and_(paid, ~live), col(Order.payable_fen)), else_=0)).label("refunded"),
            func.sum(case((col(Order.cancel_reason) == "unpaid", 1), else_=0)).label(
                "closed_unpaid"
            ),
        )
        .select_from(Order)
        .join(Payment, col(Payment.order_id) == col(Order.id), isouter=True)
        .where(col(Order.campaign_id) == campaign_id)
        .subquery()
    )
    return [orders, _moves_of_orders(campaign_id), _refunds_of_orders(campaign_id)]


def _refunds_of_orders(campaign_id: int):
    """Subquery: the campaign's orders' refunds by state (and those of cancelled orders)."""
    amount, status = col(Refund.amount_fen), col(Refund.status)
    cancelled = col(Order.status) == "CANCELLED"
    return (
        select(
            func.sum(case((status == SUCCEEDED, amount), else_=0)).label("refunds_done"),
            func.sum(case((status == REQUESTED, amount), else_=0)).label("refunds_pending"),
            func.sum(case((status == FAILED, amount), else_=0)).label("refunds_failed"),
            func.sum(case((cancelled, amount), else_=0)).label("refunds_cancelled"),
        )
        .select_from(Refund)
        .join(Order, col(Order.id) == col(Refund.order_id))
        .where(col(Order.campaign_id) == campaign_id)
        .subquery()
    )


def _moves_of_orders(campaign_id: int):
    """Subquery: ledger charges, refunds of cancelled orders, coupon events' count and fen."""
    entry = LedgerEntry
    amount = col(entry.amount_fen)
    sign = case(
        (col(CouponEvent.kind) == "redeemed", 1), (col(CouponEvent.kind) == "released", -1), else_=0
    )
    moves = union_all(
        select(
            col(entry.order_id).label("order_id"),
            case((col(entry.kind) == "charge", amount), else_=0).label("charge"),
            case((col(entry.kind) == "refund", amount), else_=0).label("refund"),
            literal(0).label("event"),
        ),
        select(col(CouponEvent.order_id), literal(0), literal(0), sign),
    ).subquery("moves")
    joined = (
        select(
            func.sum(moves.c.charge).label("ledger_charged"),
            func.sum(moves.c.refund).label("ledger_refunded"),
            func.sum(moves.c.event).label("events_count"),
            func.sum(moves.c.event * col(Order.coupon_fen)).label("events_fen"),
        )
        .select_from(moves)
        .join(Order, col(Order.id) == moves.c.order_id)
        .where(col(Order.campaign_id) == campaign_id)
        .subquery()
    )
    return joined
