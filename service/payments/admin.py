"""The operator's reads of payments and refunds, and the retry of a failed refund."""

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from service.audit.service import audit_operator_change
from service.cities.service import cached_city, zone_named
from service.errors import NotFound
from service.payments import refunds
from service.payments.models import FAILED, Payment, Refund
from service.payments.schemas import PaymentRow, PaymentsQuery, PaymentsRead, RefundsRead
from service.payments.views import payment_read, refund_read


def _zone(session: Session, city_id: int):
    return zone_named(cached_city(session, city_id).timezone)


def _scoped(query, model, operator):
    if operator.city_id is not None:  # a city's operator sees that city only
        query = query.where(col(model.city_id) == operator.city_id)
    return query


def payments(*, session: Session, operator, query: PaymentsQuery) -> PaymentsRead:
    """Payments newest first, by status and city."""
    found = _scoped(select(Payment), Payment, operator)
    if query.status:
        found = found.where(col(Payment.status) == query.status)
    if query.city_id:
        found = found.where(col(Payment.city_id) == query.city_id)
    rows = session.execute(found.order_by(col(Payment.id).desc()).limit(query.limit)).scalars()
    return PaymentsRead(
        payments=[
            PaymentRow(
                **payment_read(p, _zone(session, p.city_id)).model_dump(),
                order_id=p.order_id,
                account=p.account,
                out_trade_no=p.out_trade_no,
            )
            for p in rows
        ]
    )


def refunds_in(*, session: Session, operator, status: str = FAILED) -> RefundsRead:
    """Refunds in one state, oldest first: FAILED ones wait for an operator, REQUESTED ones
    for the provider."""
    query = _scoped(select(Refund).where(col(Refund.status) == status), Refund, operator)
    rows = session.execute(query.order_by(col(Refund.id)).limit(500)).scalars()
    return RefundsRead(refunds=[refund_read(r, _zone(session, r.city_id)) for r in rows])


def retry_refund(*, session: Session, operator, refund_id: int, now: datetime):
    """Ask again for a failed refund; audited."""
    refund = session.get(Refund, refund_id)
    if refund is None or (operator.city_id is not None and refund.city_id != operator.city_id):
        raise NotFound(f"no refund {refund_id}", field="refund_id")
    refund = refunds.retry(session, refund_id=refund_id, now=now)
    audit_operator_change(
        session=session,
        operator_id=operator.id,
        action="refund.retry",
        target_type="refund",
        target=refund,
        now=now,
        new={"out_refund_no": refund.out_refund_no},
    )
    return refund_read(refund, _zone(session, refund.city_id))
