"""The daily reconciliation job and the operator's reads and re-runs of it."""

import csv
import io
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlmodel import Session, col

from service.cities.models import City
from service.db import Database
from service.errors import Conflict, NotFound
from service.payments import accounts, reconcile
from service.payments.models import LEGACY, Payment, Reconciliation, ReconciliationLine
from service.payments.providers import ProviderError
from service.payments.providers.wechat_bill import CHINA
from service.payments.schemas import ReconciliationRead, ReconciliationsRead

READY_AT = time(10, 0)  # a provider's statement of a day is ready the next morning


def days_due(session: Session, now: datetime) -> list[tuple[str, date]]:
    """(account, provider day) pairs whose statement should be ready and is not reconciled."""
    local = now.astimezone(CHINA)
    day = local.date() - timedelta(days=1 if local.time() >= READY_AT else 2)
    done = set(
        session.execute(
            select(Reconciliation.account).where(col(Reconciliation.day) == day)
        ).scalars()
    )
    names = [n for n in accounts.configured() if n != LEGACY and n not in done]
    return [(name, day) for name in names]


def reconcile_item(*, session: Session, item: tuple[str, date], now: datetime) -> int:
    """Fetch one account's statement (outside any transaction) and store the day's result."""
    account, day = item
    session.commit()  # nothing held while the provider is asked
    lines = accounts.provider(account).statement(day)
    result = reconcile.store(
        session, account=account, day=day, lines=lines, now=now, city_id=_city_of(session, account)
    )
    return int(result.status == "differs") + 1


def _city_of(session: Session, account: str) -> int:
    found = session.execute(
        select(Payment.city_id).where(col(Payment.account) == account).limit(1)
    ).scalar()
    return found or session.execute(select(func.min(City.id))).scalar()


def rerun(database: Database, *, account: str, day: date, now: datetime) -> ReconciliationRead:
    """An operator re-runs a day (the statement fetched again)."""
    if account not in accounts.configured() or account == LEGACY:
        raise NotFound(f"no payment account {account}", field="account")
    try:
        lines = accounts.provider(account).statement(day)
    except ProviderError as error:
        raise Conflict(
            f"the provider did not give the statement: {error}", code="statement_unavailable"
        ) from error
    with database.unit_of_work() as session:
        result = reconcile.store(
            session,
            account=account,
            day=day,
            lines=lines,
            now=now,
            city_id=_city_of(session, account),
        )
        return read(session, result, with_lines=True)


def read(session: Session, result: Reconciliation, with_lines: bool = False) -> ReconciliationRead:
    """A day's result, and its differing lines when asked."""
    lines = []
    if with_lines:
        query = (
            select(ReconciliationLine)
            .where(col(ReconciliationLine.reconciliation_id) == result.id)
            .order_by(col(ReconciliationLine.id))
        )
        lines = [
            line.model_dump(exclude={"id", "reconciliation_id", "city_id"})
            for line in session.execute(query).scalars()
        ]
    return ReconciliationRead(**result.model_dump(), lines=lines)


def listing(session: Session, operator) -> ReconciliationsRead:
    """The last 60 days' results, newest first."""
    query = select(Reconciliation).order_by(col(Reconciliation.day).desc()).limit(60)
    if operator.city_id is not None:
        query = query.where(col(Reconciliation.city_id) == operator.city_id)
    return ReconciliationsRead(
        reconciliations=[read(session, r) for r in session.execute(query).scalars()]
    )


def one(session: Session, operator, reconciliation_id: int) -> Reconciliation:
    """One result the operator may see, or 404."""
    found = session.get(Reconciliation, reconciliation_id)
    if found is None or (operator.city_id is not None and found.city_id != operator.city_id):
        raise NotFound(f"no reconciliation {reconciliation_id}", field="reconciliation_id")
    return found


def as_csv(session: Session, result: Reconciliation) -> str:
    """The day's differing lines for the finance office (UTF-8 with BOM for spreadsheets)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "对账日",
            "商户账户",
            "结果",
            "类型",
            "商户订单号",
            "商户退款单号",
            "我方金额(分)",
            "对方金额(分)",
        ]
    )
    names = {"missing_here": "我方缺失", "missing_there": "对方缺失", "amount_differs": "金额不符"}
    for line in read(session, result, with_lines=True).lines:
        writer.writerow(
            [
                result.day.isoformat(),
                result.account,
                names[line["outcome"]],
                "支付" if line["kind"] == "payment" else "退款",
                line["out_trade_no"],
                line["out_refund_no"],
                line["ours_fen"],
                line["theirs_fen"],
            ]
        )
    return "\ufeff" + out.getvalue()
