"""Each provider day, a merchant account's statement matched line by line with our books.

Set-based: our side of the day is read in two statements (payments paid, refunds succeeded),
both sides are keyed by (kind, payment number, refund number) and compared as two hash maps,
never one query per statement line. Legacy payments are never matched.
"""

from datetime import date, datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlmodel import Session, col

from service.payments.models import (
    PAID,
    SUCCEEDED,
    Payment,
    Reconciliation,
    ReconciliationLine,
    Refund,
)
from service.payments.providers import StatementLine
from service.payments.providers.wechat_bill import CHINA

Key = tuple[str, str, str]  # kind, out_trade_no, out_refund_no


def day_span(day: date) -> tuple[datetime, datetime]:
    """The provider's day (China time) as a UTC span."""
    start = datetime(day.year, day.month, day.day, tzinfo=CHINA)
    return start, start + timedelta(days=1)


def our_side(session: Session, account: str, day: date) -> dict[Key, tuple[int, int]]:
    """(kind, numbers) -> (amount, city) of our payments and refunds of that day."""
    start, end = day_span(day)
    paid = session.execute(
        select(Payment.out_trade_no, Payment.amount_fen, Payment.city_id).where(
            col(Payment.account) == account,
            col(Payment.status) == PAID,
            col(Payment.paid_at) >= start,
            col(Payment.paid_at) < end,
        )
    )
    ours = {("payment", no, ""): (amount, city) for no, amount, city in paid}
    refunded = session.execute(
        select(Payment.out_trade_no, Refund.out_refund_no, Refund.amount_fen, Refund.city_id)
        .join(Payment, col(Payment.id) == col(Refund.payment_id))
        .where(
            col(Payment.account) == account,
            col(Refund.status) == SUCCEEDED,
            col(Refund.finished_at) >= start,
            col(Refund.finished_at) < end,
        )
    )
    ours.update({("refund", no, rno): (amount, city) for no, rno, amount, city in refunded})
    return ours


def match(ours: dict[Key, tuple[int, int]], lines: list[StatementLine]) -> tuple[int, list]:
    """(matched count, differing lines as dicts) of our side against the statement."""
    theirs = {
        (line.kind, line.out_trade_no, line.out_refund_no or ""): line.amount_fen for line in lines
    }
    differing, matched = [], 0
    for key, amount in theirs.items():
        mine = ours.get(key)
        if mine is None:
            differing.append(_line("missing_here", key, None, amount, None))
        elif mine[0] != amount:
            differing.append(_line("amount_differs", key, mine[0], amount, mine[1]))
        else:
            matched += 1
    for key, (amount, city) in ours.items():
        if key not in theirs:
            differing.append(_line("missing_there", key, amount, None, city))
    return matched, differing


def _line(outcome: str, key: Key, ours: int | None, theirs: int | None, city: int | None):
    return {
        "outcome": outcome,
        "kind": key[0],
        "out_trade_no": key[1][:32],
        "out_refund_no": key[2][:64],
        "ours_fen": ours,
        "theirs_fen": theirs,
        "city_id": city,
    }


def store(
    session: Session,
    *,
    account: str,
    day: date,
    city_id: int,
    lines: list[StatementLine],
    now: datetime,
) -> Reconciliation:
    """Match and store the day's result (replacing an earlier run of the same day)."""
    matched, differing = match(our_side(session, account, day), lines)
    old = select(Reconciliation.id).where(
        col(Reconciliation.account) == account, col(Reconciliation.day) == day
    )
    session.execute(
        delete(ReconciliationLine).where(
            col(ReconciliationLine.reconciliation_id).in_(old.scalar_subquery())
        )
    )
    session.execute(
        delete(Reconciliation).where(
            col(Reconciliation.account) == account, col(Reconciliation.day) == day
        )
    )
    counts = {
        k: sum(1 for d in differing if d["outcome"] == k)
        for k in ("missing_here", "missing_there", "amount_differs")
    }
    result = Reconciliation(
        city_id=city_id,
        account=account,
        day=day,
        matched=matched,
        status="differs" if differing else "reconciled",
        statement_lines=len(lines),
        computed_at=now,
        **counts,
    )
    session.add(result)
    session.flush()
    if differing:
        rows = [
            {**d, "reconciliation_id": result.id, "city_id": d["city_id"] or city_id}
            for d in differing
        ]
        session.execute(insert(ReconciliationLine), rows)
    return result
