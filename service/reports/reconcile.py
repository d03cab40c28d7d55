"""Reconciliation: the campaign's counters, its coupon rows and its events/ledger must agree."""

from sqlalchemy import case, func, select
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
        *_redeemed(session, campaign),
        *_ledger(session, campaign),
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


def _redeemed(session: Session, campaign: Campaign) -> list[dict]:
    """Redeemed fen and count: counter vs coupon rows now REDEEMED vs the coupon events."""
    live = (
        select(func.count(), func.sum(col(Order.coupon_fen)))
        .select_from(Coupon)
        .join(Order, (col(Order.coupon_id) == col(Coupon.id)) & (col(Order.status) != "CANCELLED"))
        .where(col(Coupon.campaign_id) == campaign.id, col(Coupon.status) == "REDEEMED")
    )
    sign = case(
        (col(CouponEvent.kind) == "redeemed", 1), (col(CouponEvent.kind) == "released", -1), else_=0
    )
    events = (
        select(func.sum(sign), func.sum(sign * col(Order.coupon_fen)))
        .select_from(CouponEvent)
        .join(Coupon, col(Coupon.id) == col(CouponEvent.coupon_id))
        .join(Order, col(Order.id) == col(CouponEvent.order_id))
        .where(col(Coupon.campaign_id) == campaign.id)
    )
    rows_count, rows_fen = session.execute(live).one()
    events_count, events_fen = session.execute(events).one()
    return [
        _check(
            "redeemed_fen",
            campaign=campaign.redeemed_fen,
            coupon_rows=rows_fen,
            coupon_events=events_fen,
        ),
        _check("redeemed_count", coupon_rows=rows_count, coupon_events=events_count),
    ]


def _ledger(session: Session, campaign: Campaign) -> list[dict]:
    """What the campaign's orders charged and refunded on cancel, by orders and by ledger."""
    by_orders = session.execute(
        select(
            func.sum(col(Order.payable_fen)),
            func.sum(case((col(Order.status) == "CANCELLED", col(Order.payable_fen)), else_=0)),
        )
        .select_from(Order)
        .join(Coupon, of_campaign(campaign.id))
    ).one()
    by_ledger = session.execute(
        select(
            func.sum(
                case((col(LedgerEntry.kind) == "charge", col(LedgerEntry.amount_fen)), else_=0)
            ),
            func.sum(
                case(
                    (
                        (col(LedgerEntry.kind) == "refund")
                        & (col(LedgerEntry.note) == "cancelled"),
                        col(LedgerEntry.amount_fen),
                    ),
                    else_=0,
                )
            ),
        )
        .select_from(LedgerEntry)
        .join(Order, col(Order.id) == col(LedgerEntry.order_id))
        .join(Coupon, of_campaign(campaign.id))
    ).one()
    return [
        _check("charged_fen", orders=by_orders[0], ledger=by_ledger[0]),
        _check("cancel_refunds_fen", orders=by_orders[1], ledger=by_ledger[1]),
    ]
