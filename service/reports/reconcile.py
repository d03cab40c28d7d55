"""Reconciliation: the campaign's counters, its coupon rows and its events/ledger must agree."""

from sqlalchemy import case, func, select, true
from sqlmodel import Session, col

from service.campaigns.models import (
    Batch,
    Campaign,
    Coupon,
    CouponEvent,
    CouponTemplate,
    PackClaim,
)
from service.orders.models import LedgerEntry, Order
from service.reports.facts import of_campaign


def reconcile(session: Session, campaign: Campaign) -> dict:
    """{"reconciled": bool, "checks": [...], "differences": [checks that disagree]}."""
    packs, face_fen = _totals(
        session, PackClaim, func.count(), col(PackClaim.face_value_fen), campaign
    )
    coupons, coupon_fen = _totals(session, Coupon, func.count(), col(Coupon.discount_fen), campaign)
    per_pack = _totals(session, CouponTemplate, func.sum(col(CouponTemplate.quantity)), None,
                       campaign)[0]  # fmt: skip
    claimed, _ = _totals(session, Batch, func.sum(col(Batch.packs_claimed)), None, campaign)
    checks = [
        _check("issued_fen", campaign=campaign.issued_fen, coupon_rows=coupon_fen,
               pack_claims=face_fen),
        _check("issued_count", coupon_rows=coupons, pack_claims=packs * (per_pack or 0)),
        _check("packs_claimed", campaign=claimed, pack_claims=packs),
        *_order_checks(session, campaign),
    ]  # fmt: skip
    differences = [check for check in checks if len(set(check["values"].values())) > 1]
    return {"reconciled": not differences, "checks": checks, "differences": differences}


def _check(name: str, **values: int) -> dict:
    return {"check": name, "values": {k: int(v or 0) for k, v in values.items()}}


def _totals(session: Session, table, first, summed, campaign: Campaign) -> tuple[int, int]:
    """(first aggregate, sum of `summed`) over the campaign's rows of `table`."""
    second = func.sum(summed) if summed is not None else func.count()
    query = select(first, second).select_from(table).where(col(table.campaign_id) == campaign.id)
    one, two = session.execute(query).one()
    return int(one or 0), int(two or 0)


def _order_checks(session: Session, campaign: Campaign) -> list[dict]:
    """Redeemed fen/count (counter vs coupon rows vs events) and money (orders vs ledger).

    One statement: the campaign's orders (found through a million coupons at most) are a CTE,
    which PostgreSQL materialises once for the three aggregates that read it.
    """
    co = (
        select(col(Order.id).label("id"), col(Order.status).label("status"),
               col(Order.payable_fen).label("payable"), col(Order.coupon_fen).label("coupon"),
               col(Coupon.status).label("coupon_status"))
        .select_from(Order).join(Coupon, of_campaign(campaign.id)).cte("campaign_orders")
    )  # fmt: skip
    live = (co.c.coupon_status == "REDEEMED") & (co.c.status != "CANCELLED")
    orders = select(
        func.sum(co.c.payable).label("charged"),
        func.sum(case((co.c.status == "CANCELLED", co.c.payable), else_=0)).label("refunded"),
        func.sum(case((live, 1), else_=0)).label("rows_count"),
        func.sum(case((live, co.c.coupon), else_=0)).label("rows_fen"),
    ).subquery()
    entry = LedgerEntry
    cancel_refund = (col(entry.kind) == "refund") & (col(entry.note) == "cancelled")
    ledger = (
        select(func.sum(case((col(entry.kind) == "charge", col(entry.amount_fen)), else_=0))
               .label("ledger_charged"),
               func.sum(case((cancel_refund, col(entry.amount_fen)), else_=0))
               .label("ledger_refunded"))
        .select_from(entry).join(co, co.c.id == col(entry.order_id)).subquery()
    )  # fmt: skip
    sign = case((col(CouponEvent.kind) == "redeemed", 1),
                (col(CouponEvent.kind) == "released", -1), else_=0)  # fmt: skip
    events = (
        select(func.sum(sign).label("events_count"),
               func.sum(sign * co.c.coupon).label("events_fen"))
        .select_from(CouponEvent).join(co, co.c.id == col(CouponEvent.order_id)).subquery()
    )  # fmt: skip
    row = session.execute(
        select(orders, ledger, events).select_from(
            orders.join(ledger, true()).join(events, true()))
    ).mappings().one()  # fmt: skip
    return [
        _check("redeemed_fen", campaign=campaign.redeemed_fen, coupon_rows=row["rows_fen"],
               coupon_events=row["events_fen"]),
        _check("redeemed_count", coupon_rows=row["rows_count"],
               coupon_events=row["events_count"]),
        _check("charged_fen", orders=row["charged"], ledger=row["ledger_charged"]),
        _check("cancel_refunds_fen", orders=row["refunded"], ledger=row["ledger_refunded"]),
    ]  # fmt: skip
