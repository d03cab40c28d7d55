"""Money back through the provider: a refund row first (guarded), the provider asked after.

The guard is in the INSERT itself: a refund is written only while the payment's amount less the
refunds requested or succeeded still covers it, under the payment row's lock, so two money-back
paths at once can never return more than was paid.
"""

from datetime import datetime

from sqlalchemy import and_, func, insert, literal, select, update
from sqlmodel import Session, col

from service.errors import Conflict
from service.orders.models import LedgerEntry, Order
from service.payments.models import FAILED, LEGACY, PAID, REQUESTED, SUCCEEDED, Payment, Refund

LIVE = (REQUESTED, SUCCEEDED)


def _committed(payment_id):
    """What the payment's live refunds already take (a scalar subquery)."""
    return (
        select(func.coalesce(func.sum(col(Refund.amount_fen)), 0))
        .where(col(Refund.payment_id) == payment_id, col(Refund.status).in_(LIVE))
        .scalar_subquery()
    )


def lock_paid(session: Session, order_id: int) -> Payment | None:
    """The order's PAID payment, its row locked (after the order's: one lock order); None if
    nothing was paid."""
    query = (
        select(Payment)
        .where(col(Payment.order_id) == order_id, col(Payment.status) == PAID)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return session.execute(query).scalar()


def refundable(session: Session, payment: Payment) -> int:
    """Paid less refunds requested or succeeded."""
    return payment.amount_fen - session.execute(select(_committed(payment.id))).scalar_one()


def give_back(
    session: Session, *, order: Order, amount_fen: int | None, reason: str, key: str, now: datetime
) -> Refund | None:
    """Refund `amount_fen` (None: all still refundable) of the order's payment; the refund
    number is the payment's plus `key`, so the same money-back event is one refund. None when
    nothing was paid or nothing is left; 409 when it would exceed what is left."""
    payment = lock_paid(session, order.id)
    if payment is None:
        return None
    if amount_fen is None:
        amount_fen = refundable(session, payment)
    if amount_fen <= 0:
        return None
    number = f"{payment.out_trade_no}{key}"[:64]
    fits = and_(
        literal(payment.amount_fen) - _committed(payment.id) >= amount_fen,
        ~select(Refund.id).where(col(Refund.out_refund_no) == number).exists(),
    )
    status = SUCCEEDED if payment.provider == LEGACY else REQUESTED
    values = {
        "city_id": order.city_id,
        "order_id": order.id,
        "payment_id": payment.id,
        "out_refund_no": number,
        "amount_fen": amount_fen,
        "reason": reason,
        "status": status,
        "failure": "",
        "attempts": 0,
        "requested_at": now,
        "finished_at": now if status == SUCCEEDED else None,
    }
    source = select(*(literal(v).label(k) for k, v in values.items())).where(fits)
    insert_if_it_fits = insert(Refund).from_select(list(values), source).returning(Refund.id)
    refund_id = session.execute(insert_if_it_fits).scalar()
    if refund_id is None:
        raise Conflict(
            f"a refund of {amount_fen} fen exceeds what is left of the payment",
            code="refund_exceeds_paid",
        )
    refund = session.get(Refund, refund_id)
    if status == SUCCEEDED:  # orders from before payments: no provider to ask
        _ledger(session, refund, now)
    return refund


def finish(
    session: Session, refund_id: int, *, succeeded: bool, failure: str, now: datetime
) -> bool:
    """REQUESTED -> SUCCEEDED (the ledger's refund) or FAILED; False if it was settled already."""
    moved = session.execute(
        update(Refund)
        .where(col(Refund.id) == refund_id, col(Refund.status) == REQUESTED)
        .values(
            status=SUCCEEDED if succeeded else FAILED,
            failure=failure[:128],
            finished_at=now,
            checked_at=now,
        )
    ).rowcount
    if moved == 1 and succeeded:
        _ledger(session, session.get(Refund, refund_id), now)
    return moved == 1


def retry(session: Session, *, refund_id: int, now: datetime) -> Refund:
    """A FAILED refund asked again under a new number, if what is left still covers it."""
    refund = session.get(Refund, refund_id)
    if refund is None or refund.status != FAILED:
        raise Conflict("only a failed refund is retried", code="invalid_transition")
    base = refund.out_refund_no.split("-r")[0]
    moved = session.execute(
        update(Refund)
        .where(
            col(Refund.id) == refund_id,
            col(Refund.status) == FAILED,
            select(Payment.amount_fen).where(col(Payment.id) == refund.payment_id).scalar_subquery()
            - _committed(refund.payment_id)
            >= refund.amount_fen,
        )
        .values(
            status=REQUESTED,
            failure="",
            finished_at=None,
            checked_at=None,
            requested_at=now,
            attempts=refund.attempts + 1,
            out_refund_no=f"{base}-r{refund.attempts + 1}",
        )
    ).rowcount
    if moved != 1:
        raise Conflict(
            "the refund no longer fits what is left of the payment", code="refund_exceeds_paid"
        )
    session.refresh(refund)
    return refund


def _ledger(session: Session, refund: Refund, now: datetime) -> None:
    session.execute(
        insert(LedgerEntry).values(
            order_id=refund.order_id,
            city_id=refund.city_id,
            kind="refund",
            amount_fen=refund.amount_fen,
            note=f"{refund.reason} {refund.out_refund_no}"[:128],
            at=now,
        )
    )
