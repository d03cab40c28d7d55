"""The money ledger of orders: charges - refunds = what consumers paid.

Every path that gives a consumer money back goes through `refund` (cancel, short-pick, no
store after re-matching, an operator settling a failed delivery): it hands the refund to the
payment provider (service.payments.refunds), whose INSERT guards that a refund never exceeds
what was paid less what was refunded or is being refunded. The ledger records money that
moved: a charge when a payment succeeds, a refund when a refund succeeds.
"""

from datetime import datetime

from sqlalchemy import case, func, insert, select
from sqlmodel import Session, col

from service.orders.models import LedgerEntry, Order

SIGNED = case(
    (col(LedgerEntry.kind) == "refund", -col(LedgerEntry.amount_fen)),
    else_=col(LedgerEntry.amount_fen),
)
COLUMNS = ("order_id", "city_id", "kind", "amount_fen", "note", "at")


def write(
    session: Session, order: Order, kind: str, amount_fen: int, now: datetime, note: str = ""
) -> None:
    """Record one charge or compensation of an order (nothing for zero); refunds: `refund`."""
    if kind == "refund":
        raise ValueError("refunds go through ledger.refund")
    if amount_fen:
        session.execute(
            insert(LedgerEntry).values(
                order_id=order.id,
                city_id=order.city_id,
                kind=kind,
                amount_fen=amount_fen,
                note=note,
                at=now,
            )
        )


def refund(
    session: Session,
    order: Order,
    now: datetime,
    note: str,
    amount_fen: int | None = None,
    key: str | None = None,
) -> int:
    """Give back `amount_fen` (None: all that is left) through the order's payment provider:
    a refund requested there under its own number (the payment's plus `key`, so the same
    money-back event is one refund); its ledger row is written when the provider says it
    succeeded. 409 rather than refund more than paid less refunds requested or succeeded: the
    refund's INSERT carries that condition. The fen asked for (0 if nothing was paid)."""
    from service.payments.refunds import give_back  # payments builds on orders

    asked = give_back(
        session, order=order, amount_fen=amount_fen, reason=note, key=key or f"-{note}", now=now
    )
    return asked.amount_fen if asked else 0


def _left_subquery(order_id: int):
    return (
        select(func.coalesce(func.sum(SIGNED), 0))
        .where(
            col(LedgerEntry.order_id) == order_id, col(LedgerEntry.kind).in_(("charge", "refund"))
        )
        .scalar_subquery()
    )


def net_paid(session: Session, order_id: int) -> int:
    """Charges minus refunds of one order so far."""
    return session.execute(select(_left_subquery(order_id))).scalar_one()
