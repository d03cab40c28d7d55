"""The money ledger of orders: charges - refunds = what consumers paid.

Every path that gives a consumer money back goes through `refund` (cancel, short-pick, an
operator settling a failed delivery): one place to hand refunds to a payment provider, and
the guard that a refund never exceeds what was paid less what was refunded lives in its
INSERT, not in a read before it.
"""

from datetime import datetime

from sqlalchemy import case, func, insert, literal, select
from sqlmodel import Session, col

from service.errors import Conflict
from service.orders.models import LedgerEntry, Order

SIGNED = case((col(LedgerEntry.kind) == "refund", -col(LedgerEntry.amount_fen)),
              else_=col(LedgerEntry.amount_fen))  # fmt: skip
COLUMNS = ("order_id", "city_id", "kind", "amount_fen", "note", "at")


def write(session: Session, order: Order, kind: str, amount_fen: int, now: datetime,
          note: str = "") -> None:  # fmt: skip
    """Record one charge or compensation of an order (nothing for zero); refunds: `refund`."""
    if kind == "refund":
        raise ValueError("refunds go through ledger.refund")
    if amount_fen:
        session.execute(insert(LedgerEntry).values(
            order_id=order.id, city_id=order.city_id, kind=kind, amount_fen=amount_fen,
            note=note, at=now))  # fmt: skip


def refund(session: Session, order: Order, now: datetime, note: str,
           amount_fen: int | None = None) -> int:  # fmt: skip
    """Give back `amount_fen` (None: all that is left); the fen refunded. 409 rather than
    refund more than paid less refunded: the INSERT itself carries that condition."""
    left = _left_subquery(order.id)
    amount = left if amount_fen is None else literal(amount_fen)
    at = literal(now, type_=LedgerEntry.__table__.c.at.type)
    rows = select(literal(order.id), literal(order.city_id), literal("refund"), amount,
                  literal(note), at).where(amount > 0, left >= amount)  # fmt: skip
    written = session.execute(
        insert(LedgerEntry).from_select(list(COLUMNS), rows).returning(col(LedgerEntry.amount_fen))
    ).scalar()  # fmt: skip
    if written is None and amount_fen:
        raise Conflict(f"a refund of {amount_fen} fen exceeds what is left of the payment",
                       code="refund_exceeds_paid", details={"status": order.status})  # fmt: skip
    return written or 0


def _left_subquery(order_id: int):
    return (
        select(func.coalesce(func.sum(SIGNED), 0))
        .where(col(LedgerEntry.order_id) == order_id,
               col(LedgerEntry.kind).in_(("charge", "refund")))
        .scalar_subquery()
    )  # fmt: skip


def net_paid(session: Session, order_id: int) -> int:
    """Charges minus refunds of one order so far."""
    return session.execute(select(_left_subquery(order_id))).scalar_one()
