"""What a provider's word does here: a verified notification, or a query's or close's answer.

Lock order (docs/locking.md): the store row, the order row, then the payment row, then refund
rows, as cancel takes them, so a notification racing a cancel or the close job has exactly one
outcome.
"""

import logging
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from service.audit.service import record_audit
from service.errors import NotFound
from service.orders import ledger
from service.orders.locks import lock_order
from service.orders.models import Order
from service.orders.paid import place_paid
from service.payments import accounts, refunds
from service.payments.models import Payment, Refund
from service.payments.providers import Answer, Notification, NotificationRejected, TradeState
from service.payments.service import by_trade_no, mark_paid

log = logging.getLogger(__name__)
SUCCESS = "SUCCESS"


def receive(session: Session, *, kind: str, headers: dict, body: bytes, now: datetime) -> Answer:
    """Handle one notification posted to /v1/payments/notify/{kind}; the provider's answer."""
    _any_answer(kind, ok=True)  # 404 for a provider kind with no account here
    verified, account = _verify(kind, headers, body)
    if verified is None:
        _refuse(session, "bad_signature", None, {"provider": kind}, now)
        return _any_answer(kind, ok=False)
    provider = accounts.provider(account)
    if verified.kind == "refund":
        _refund_news(session, verified, now)
        return provider.answer(True)
    payment = by_trade_no(session, verified.out_trade_no)
    problem = mismatch(payment, verified, account, provider.merchant)
    if problem:
        _refuse(
            session,
            problem,
            payment,
            {
                "out_trade_no": verified.out_trade_no,
                "amount_fen": verified.amount_fen,
                "merchant": verified.merchant,
            },
            now,
        )
        return provider.answer(problem != "unknown_order")
    if verified.status == SUCCESS:
        paid(session, payment=payment, trade_no=verified.provider_trade_no, now=now)
    return provider.answer(True)


def _verify(kind: str, headers: dict, body: bytes) -> tuple[Notification | None, str | None]:
    for account in accounts.accounts_of_kind(kind):
        try:
            return accounts.provider(account).parse_notification(headers, body), account
        except NotificationRejected:
            continue
    return None, None


def _any_answer(kind: str, ok: bool) -> Answer:
    names = accounts.accounts_of_kind(kind)
    if not names:
        raise NotFound(f"no payment provider {kind} here", field="kind")
    return accounts.provider(names[0]).answer(ok)


def mismatch(payment: Payment | None, seen, account: str, merchant: str) -> str | None:
    """Why a verified notification or query answer is not about this payment, if it is not."""
    if payment is None:
        return "unknown_order"
    if seen.merchant != merchant or payment.account != account:
        return "wrong_merchant"
    if seen.amount_fen != payment.amount_fen:
        return "wrong_amount"
    if seen.method and seen.method != payment.method:
        return "wrong_method"
    return None


def paid(session: Session, *, payment: Payment, trade_no: str, now: datetime) -> str:
    """The provider says the payment succeeded: charge, place (or refund at once if the order
    was closed or cancelled first). "duplicate" when it was known already."""
    lock_order(session, payment.order_id)  # store, then order, then (mark_paid) the payment
    if not mark_paid(session, payment, trade_no=trade_no, now=now):
        return "duplicate"
    order = session.get(Order, payment.order_id)
    ledger.write(session, order, "charge", payment.amount_fen, now, payment.out_trade_no)
    if place_paid(session, order_id=order.id, now=now) is not None:
        return "placed"
    session.refresh(order)
    refunds.give_back(
        session, order=order, amount_fen=None, reason="paid_after_close", key="-late", now=now
    )
    return "refunded"


def trade_state(session: Session, payment: Payment, state: TradeState, now: datetime) -> str:
    """Act on a queried or closed trade's state; the outcome."""
    if state.status != SUCCESS:
        return state.status
    seen = Notification(
        "payment",
        accounts.provider(payment.account).merchant,
        state.out_trade_no,
        state.status,
        state.amount_fen,
        state.method,
        state.provider_trade_no,
    )
    problem = mismatch(payment, seen, payment.account, seen.merchant)
    if problem:
        _refuse(session, problem, payment, {"source": "query"}, now)
        return problem
    return paid(session, payment=payment, trade_no=state.provider_trade_no, now=now)


def _refund_news(session: Session, news: Notification, now: datetime) -> None:
    refund = session.execute(
        select(Refund).where(col(Refund.out_refund_no) == news.out_refund_no)
    ).scalar()
    if refund is None or refund.amount_fen != news.amount_fen:
        _refuse(session, "unknown_refund", None, {"out_refund_no": news.out_refund_no}, now)
    elif news.status in ("SUCCESS", "FAILED"):
        refunds.finish(
            session,
            refund.id,
            succeeded=news.status == "SUCCESS",
            failure="" if news.status == "SUCCESS" else "provider",
            now=now,
        )


def _refuse(
    session: Session, reason: str, payment: Payment | None, data: dict, now: datetime
) -> None:
    from service.observability import metrics

    metrics.PAYMENT_NOTIFICATIONS_REFUSED.labels(reason).inc()
    log.warning("payment notification refused: %s", reason)
    record_audit(
        session=session,
        at=now,
        actor_role="provider",
        actor_id=None,
        action="payment.notification_refused",
        target_type="payment",
        target_id=payment.id if payment else None,
        city_id=payment.city_id if payment else None,
        new={"reason": reason, **data},
    )
