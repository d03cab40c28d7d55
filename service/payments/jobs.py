"""The payment jobs: close unpaid orders, ask about silent payments, send and follow refunds.

Each item reads what it needs and commits before calling the provider, so no transaction (and
no SQLite write lock) is held across a network call; the answer is written in a new one.
"""

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlmodel import Session, col

from service.orders import states
from service.orders.lifecycle import cancel_order
from service.orders.locks import lock_order
from service.orders.models import Order
from service.payments import accounts, refunds, settle
from service.payments.models import OPEN, REFUND_MAX_ATTEMPTS, REQUESTED, Payment, Refund
from service.payments.providers import ProviderError
from service.payments.service import mark_closed

QUIET = timedelta(minutes=2)  # a payment or refund this long without news is asked about
ASK_EVERY = timedelta(minutes=1)


def unpaid_due(session: Session, now: datetime) -> list[int]:
    """OPEN payments past pay_by, or whose order the consumer cancelled."""
    query = (
        select(Payment.id)
        .join(Order, col(Order.id) == col(Payment.order_id))
        .where(
            col(Payment.status) == OPEN,
            or_(col(Payment.pay_by) <= now, col(Order.status) == states.CANCELLED),
        )
        .order_by(col(Payment.id))
    )
    return list(session.execute(query).scalars())


def close_unpaid(*, session: Session, item: int, now: datetime) -> int:
    """Close at the provider first: paid there means paid here; closed there closes the order."""
    payment = session.get(Payment, item)
    session.commit()  # end the read: the provider is called outside any transaction
    try:
        state = accounts.provider(payment.account).close(payment.out_trade_no)
    except ProviderError:
        return 0  # unreachable: tried again next run
    if state.status == settle.SUCCESS:
        return int(settle.trade_state(session, payment, state, now) != "duplicate")
    lock_order(session, payment.order_id)  # store, then order, then the payment
    if not mark_closed(session, payment, now):
        return 0
    order = session.get(Order, payment.order_id)
    if order.status == states.AWAITING_PAYMENT:
        cancel_order(
            session=session,
            order=order,
            reason="unpaid",
            actor_role="system",
            actor_id=None,
            now=now,
        )
    return 1


def silent(session: Session, now: datetime) -> list[tuple[str, int]]:
    """Payments still OPEN and refunds still REQUESTED with no news for a while."""
    asked = now - ASK_EVERY
    payments = select(Payment.id).where(
        col(Payment.status) == OPEN,
        col(Payment.created_at) <= now - QUIET,
        col(Payment.pay_by) > now,
        or_(col(Payment.checked_at).is_(None), col(Payment.checked_at) <= asked),
    )
    found = [("payment", pid) for pid in session.execute(payments).scalars()]
    return found + [("refund", rid) for rid in refunds_due(session, now, quiet=True)]


def refunds_due(session: Session, now: datetime, *, quiet: bool = False) -> list[int]:
    """REQUESTED refunds never sent (or, quiet=True, sent and not heard of for a while)."""
    query = select(Refund.id).where(col(Refund.status) == REQUESTED)
    if quiet:
        query = query.where(col(Refund.checked_at) <= now - ASK_EVERY)
    else:
        query = query.where(col(Refund.checked_at).is_(None))
    return list(session.execute(query.order_by(col(Refund.id))).scalars())


def query_one(*, session: Session, item: tuple[str, int], now: datetime) -> int:
    """Ask the provider about one silent payment or refund."""
    kind, row_id = item
    if kind == "refund":
        return send_refund(session=session, item=row_id, now=now)
    payment = session.get(Payment, row_id)
    session.commit()  # the provider is asked outside any transaction
    try:
        state = accounts.provider(payment.account).query(payment.out_trade_no)
    except ProviderError:
        state = None
    # The answer is acted on before checked_at is written: a paid trade locks store, order,
    # then payment (as a notification does); writing the payment row first deadlocked them.
    outcome = None if state is None else settle.trade_state(session, payment, state, now)
    session.execute(update(Payment).where(col(Payment.id) == row_id).values(checked_at=now))
    return int(outcome in ("placed", "refunded"))


def send_refund(*, session: Session, item: int, now: datetime) -> int:
    """Ask the provider for one refund (the same refund number every time) and note its answer."""
    refund = session.get(Refund, item)
    payment = session.get(Payment, refund.payment_id)
    session.commit()  # the provider is asked outside any transaction
    provider = accounts.provider(payment.account)
    try:
        state = provider.refund(
            out_trade_no=payment.out_trade_no,
            out_refund_no=refund.out_refund_no,
            amount_fen=refund.amount_fen,
            total_fen=payment.amount_fen,
            reason=refund.reason,
        )
    except ProviderError as error:
        return _unanswered(session, refund, str(error), now)
    if state.status in ("SUCCESS", "FAILED"):
        return int(
            refunds.finish(
                session,
                refund.id,
                succeeded=state.status == "SUCCESS",
                failure=state.reason or "provider",
                now=now,
            )
        )
    session.execute(
        update(Refund)
        .where(col(Refund.id) == refund.id)
        .values(checked_at=now, attempts=refund.attempts + 1)
    )
    return 0


def _unanswered(session: Session, refund: Refund, error: str, now: datetime) -> int:
    if refund.attempts + 1 >= REFUND_MAX_ATTEMPTS:  # onto the operator's list
        return int(refunds.finish(session, refund.id, succeeded=False, failure=error, now=now))
    session.execute(
        update(Refund)
        .where(col(Refund.id) == refund.id)
        .values(checked_at=now, attempts=refund.attempts + 1, failure=error[:128])
    )
    return 0


def sandbox_accounts(_session: Session, _now: datetime) -> list[str]:
    """The sandbox accounts (demo and test mode only)."""
    return accounts.accounts_of_kind("sandbox")


def sandbox_deliver(*, session: Session, item: str, now: datetime) -> int:
    """Deliver the sandbox's late notifications whose time has come."""
    provider = accounts.provider(item)
    bodies = provider.due(now)
    for body in bodies:
        settle.receive(
            session, kind="sandbox", headers=provider.headers_for(body), body=body, now=now
        )
    return len(bodies)
