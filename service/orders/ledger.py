"""The money ledger of orders: charges - refunds = what consumers paid."""

from datetime import datetime

from sqlalchemy import case, func, insert, select
from sqlmodel import Session, col

from service.orders.models import LedgerEntry, Order


def write(session: Session, order: Order, kind: str, amount_fen: int, now: datetime,
          note: str = "") -> None:  # fmt: skip
    """Record one money movement of an order (nothing for zero)."""
    if amount_fen:
        session.execute(insert(LedgerEntry).values(
            order_id=order.id, city_id=order.city_id, kind=kind, amount_fen=amount_fen,
            note=note, at=now))  # fmt: skip


def net_paid(session: Session, order_id: int) -> int:
    """Charges minus refunds of one order so far."""
    signed = case((col(LedgerEntry.kind) == "refund", -col(LedgerEntry.amount_fen)),
                  else_=col(LedgerEntry.amount_fen))  # fmt: skip
    query = select(func.coalesce(func.sum(signed), 0)).where(
        col(LedgerEntry.order_id) == order_id, col(LedgerEntry.kind).in_(("charge", "refund"))
    )
    return session.execute(query).scalar_one()  # fmt: skip
