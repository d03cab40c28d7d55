"""Read models of payments and refunds, times in the city's zone."""

from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from service.payments.models import PAID, REQUESTED, SUCCEEDED, Payment, Refund
from service.payments.schemas import PaymentRead, RefundRead


def payment_read(payment: Payment, zone: ZoneInfo) -> PaymentRead:
    """A payment as its consumer (and the cashier step of the shop) needs it."""
    return PaymentRead(
        provider=payment.provider,
        method=payment.method,
        status=payment.status,
        amount_fen=payment.amount_fen,
        pay_url=payment.pay_url,
        client_params=payment.client_params or {},
        pay_by=payment.pay_by.astimezone(zone),
        paid_at=payment.paid_at.astimezone(zone) if payment.paid_at else None,
    )


def refund_read(refund: Refund, zone: ZoneInfo) -> RefundRead:
    """A refund with its state."""
    return RefundRead(
        **refund.model_dump(exclude={"requested_at", "finished_at"}),
        requested_at=refund.requested_at.astimezone(zone),
        finished_at=refund.finished_at.astimezone(zone) if refund.finished_at else None,
    )


def money_of(session: Session, order_id: int) -> dict:
    """The order's payment and its paid, refunded and still-pending amounts."""
    payment = session.execute(select(Payment).where(col(Payment.order_id) == order_id)).scalar()
    amount = col(Refund.amount_fen)
    done, pending = session.execute(
        select(
            func.coalesce(func.sum(case((col(Refund.status) == SUCCEEDED, amount), else_=0)), 0),
            func.coalesce(func.sum(case((col(Refund.status) == REQUESTED, amount), else_=0)), 0),
        ).where(col(Refund.order_id) == order_id)
    ).one()
    paid = payment.amount_fen if payment is not None and payment.status == PAID else 0
    return {
        "payment": payment,
        "paid_fen": paid,
        "refunded_fen": int(done),
        "refund_pending_fen": int(pending),
    }
