"""What an order's consumer paid, got back and paid net, from the ledger, and what a short-pick
took out of it: `payable_fen` stays what was charged (reports reconcile on it)."""

from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from service.orders.models import LedgerEntry


def ledger_totals(session: Session, order_id: int) -> tuple[int, int]:
    """(charged, refunded) fen of one order so far, as the ledger recorded them."""
    rows = session.execute(
        select(LedgerEntry.kind, func.sum(LedgerEntry.amount_fen))
        .where(
            col(LedgerEntry.order_id) == order_id, col(LedgerEntry.kind).in_(("charge", "refund"))
        )
        .group_by(col(LedgerEntry.kind))
    ).all()
    totals = {kind: int(amount) for kind, amount in rows}
    return totals.get("charge", 0), totals.get("refund", 0)


def money_fields(session: Session, order_id: int) -> dict[str, int]:
    """paid_fen, refunded_fen and net_fen (paid less refunded) of an order."""
    charged, refunded = ledger_totals(session, order_id)
    return {"paid_fen": charged, "refunded_fen": refunded, "net_fen": charged - refunded}


def short_pick(lines: list[dict], events: list[dict]) -> dict[str, Any] | None:
    """The units the store could not pick, per line, with what was refunded for them; None
    when nothing was short. `lines` and `events` as dicts of the order's rows."""
    refunds: dict[int, int] = {}
    for event in events:
        if event["kind"] == "short_picked":
            line_id = event["data"].get("line_id")
            refunds[line_id] = refunds.get(line_id, 0) + event["data"].get("refund_fen", 0)
    missing = [
        {
            "line_id": line["id"],
            "sku": line["sku"],
            "name": line["name"],
            "qty": line["qty"],
            "picked_qty": line["picked_qty"],
            "missing_qty": line["qty"] - line["picked_qty"],
            "refund_fen": refunds.get(line["id"], 0),
        }
        for line in lines
        if line.get("picked_qty") is not None and line["picked_qty"] < line["qty"]
    ]
    if not missing:
        return None
    return {"missing": missing, "refund_fen": sum(m["refund_fen"] for m in missing)}
