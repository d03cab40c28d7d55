"""Opening a payment with the order, asking the provider, and what a paid notification does.

Provider calls never run inside a database transaction: the order commits AWAITING_PAYMENT,
the provider is asked, its answer is stored in a second short transaction.
"""

import contextlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlmodel import Session, col

from service.db import Database
from service.errors import Conflict, NotFound
from service.orders import states
from service.orders.models import Order
from service.payments import accounts
from service.payments.models import CLOSED, OPEN, PAID, Payment
from service.payments.providers import PayRequest, ProviderError
from service.people.models import Consumer

PAY_WINDOW = timedelta(minutes=15)
MAX_UNPAID = 2  # orders a consumer may have waiting for payment at once
_notify_base = {"url": "http://127.0.0.1:5000"}


def configure(public_url: str) -> None:
    """Where providers send notifications (this service's public address)."""
    _notify_base["url"] = public_url.rstrip("/")


# Built once: the order's transaction runs them with its ids.
LOCK_CONSUMER = (
    select(Consumer.id)
    .where(col(Consumer.id) == bindparam("consumer_id"))
    .with_for_update(key_share=True)
)
UNPAID = (
    select(func.count())
    .select_from(Order)
    .where(
        col(Order.consumer_id) == bindparam("consumer_id"),
        col(Order.status) == states.AWAITING_PAYMENT,
        col(Order.id) != bindparam("order_id"),
    )
)


def open_payment(session: Session, *, order: Order, city, now: datetime) -> Payment:
    """The order's one payment, OPEN until pay_by; at most MAX_UNPAID unpaid orders a consumer."""
    account, method = accounts.account_for(city, order.payment_method)
    ids = {"consumer_id": order.consumer_id, "order_id": order.id}
    connection = session.connection()
    # The consumer row (FOR NO KEY UPDATE) serialises one consumer's concurrent orders, so two
    # at once cannot both pass the count. SQLite's writers are serialised anyway (no statement).
    if connection.dialect.name != "sqlite":
        connection.execute(LOCK_CONSUMER, ids)
    unpaid = connection.execute(UNPAID, ids).scalar_one()
    if unpaid >= MAX_UNPAID:
        raise Conflict(
            f"pay or cancel your {unpaid} unpaid orders first", code="too_many_unpaid_orders"
        )
    payment = Payment(
        city_id=order.city_id,
        order_id=order.id,
        consumer_id=order.consumer_id,
        provider=accounts.kind_of(account),
        account=account,
        method=method,
        out_trade_no=new_trade_no(),
        amount_fen=order.payable_fen,
        pay_by=now + PAY_WINDOW,
        created_at=now,
    )
    session.add(payment)
    session.flush()
    return payment


def new_trade_no() -> str:
    """A random payment number: 32 characters the providers accept, unguessable."""
    return "P" + secrets.token_hex(15) + "X"


def ask_provider(
    database: Database,
    *,
    order_id: int,
    payer_openid: str | None = None,
    payer_ip: str | None = None,
    opened: Payment | None = None,
) -> Payment:
    """Open the order's payment at its provider (idempotent there) and store the answer;
    payer_openid (WeChat JSAPI) and payer_ip (WeChat H5) as the consumer's request gave them.
    opened: the payment as the order's transaction has just committed it (saves reading it)."""
    payment = opened
    if payment is None:
        with database.unit_of_work(write=False) as session:
            payment = payment_of(session, order_id)
    if payment.status != OPEN or payment.pay_url or payment.client_params:
        return payment
    request = PayRequest(
        out_trade_no=payment.out_trade_no,
        amount_fen=payment.amount_fen,
        method=payment.method,
        description=f"订单 {order_id}",
        expire_at=payment.pay_by,
        notify_url=f"{_notify_base['url']}/v1/payments/notify/{payment.provider}",
        payer_openid=payer_openid,
        payer_ip=payer_ip,
    )
    prepay = accounts.provider(payment.account).create(request)
    return _store_answer(database, payment, prepay)


# The provider's answer stored; what a notification may have moved meanwhile comes back.
STORE_ANSWER = (
    update(Payment)
    .where(col(Payment.id) == bindparam("payment_id"))
    .values(
        pay_url=bindparam("pay_url"),
        client_params=bindparam("client_params"),
        provider_trade_no=bindparam("provider_trade_no"),
    )
    .returning(Payment.status, Payment.paid_at, Payment.closed_at, Payment.provider_trade_no)
)


def _store_answer(database: Database, payment: Payment, prepay) -> Payment:
    """The provider's answer stored; the payment (a detached copy) as it now stands."""
    answer = {
        "pay_url": prepay.pay_url,
        "client_params": prepay.client_params,
        "provider_trade_no": prepay.provider_ref,
    }
    with database.unit_of_work() as session:
        stored = {"payment_id": payment.id, **answer}
        row = session.connection().execute(STORE_ANSWER, stored).one()
    for name, value in {**answer, **row._asdict()}.items():
        setattr(payment, name, value)
    return payment


def payment_of(session: Session, order_id: int) -> Payment:
    """The payment of an order, or 404."""
    payment = session.execute(select(Payment).where(col(Payment.order_id) == order_id)).scalar()
    if payment is None:
        raise NotFound(f"order {order_id} has no payment", field="order_id")
    return payment


def by_trade_no(session: Session, out_trade_no: str) -> Payment | None:
    """The payment with this number, if ours."""
    query = select(Payment).where(col(Payment.out_trade_no) == out_trade_no)
    return session.execute(query).scalar()


def mark_paid(session: Session, payment: Payment, *, trade_no: str, now: datetime) -> bool:
    """OPEN (or closed by us) -> PAID; False if it was PAID already (a duplicate)."""
    moved = session.execute(
        update(Payment)
        .where(col(Payment.id) == payment.id, col(Payment.status).in_((OPEN, CLOSED)))
        .values(status=PAID, paid_at=now, provider_trade_no=trade_no or payment.provider_trade_no)
    ).rowcount
    return moved == 1


def mark_closed(session: Session, payment: Payment, now: datetime) -> bool:
    """OPEN -> CLOSED; False if it moved on meanwhile."""
    return (
        session.execute(
            update(Payment)
            .where(col(Payment.id) == payment.id, col(Payment.status) == OPEN)
            .values(status=CLOSED, closed_at=now)
        ).rowcount
        == 1
    )


def safe_ask(
    database: Database, order_id: int, *, opened: Payment | None = None, **payer: str | None
) -> Payment | None:
    """ask_provider, leaving the payment for "pay again" when the provider is unreachable
    (None)."""
    with contextlib.suppress(ProviderError):
        return ask_provider(database, order_id=order_id, opened=opened, **payer)
    return None
