"""The sandbox's cashier (demo and tests) and the consumer's "pay again"."""

from datetime import datetime

from service.cities.service import cached_city, zone_named
from service.db import Database
from service.errors import Conflict, NotFound
from service.orders.lifecycle import own_order
from service.payments import accounts, settle
from service.payments.models import OPEN
from service.payments.providers.base import SUCCESS
from service.payments.schemas import PaymentRead
from service.payments.service import ask_provider, by_trade_no, payment_of
from service.payments.views import payment_read

ACTIONS = ("pay", "fail", "abandon")


def sandbox_of(account: str):
    """The sandbox provider of `account`, or 404 (real accounts have no cashier here)."""
    try:
        if accounts.kind_of(account) == "sandbox":
            return accounts.provider(account)
    except KeyError:
        pass
    raise NotFound(f"no sandbox cashier {account}", field="account")


def cashier_view(database: Database, *, account: str, out_trade_no: str) -> dict:
    """What the cashier page shows: amount, method, pay-by, state."""
    sandbox = sandbox_of(account)
    with database.unit_of_work(write=False) as session:
        payment = by_trade_no(session, out_trade_no)
        if payment is None or payment.account != account:
            raise NotFound("no such payment at this cashier", field="out_trade_no")
        zone = zone_named(cached_city(session, payment.city_id).timezone)
        trade = sandbox.books.trade(out_trade_no)
        return {
            "payment": payment_read(payment, zone),
            "order_id": payment.order_id,
            "out_trade_no": out_trade_no,
            "account": account,
            "trade_status": trade["status"] if trade else "NOTPAY",
        }


def press(
    database: Database, *, account: str, out_trade_no: str, action: str, deliver: str, now: datetime
) -> dict:
    """A cashier button: pay (the notification delivered now, twice, late or never), fail or
    abandon. The sandbox signs the notification; it is handled exactly as a posted one."""
    from service.payments.providers.sandbox import DELIVERIES, LATE

    sandbox = sandbox_of(account)
    if action not in ACTIONS or deliver not in DELIVERIES:
        raise Conflict("unknown cashier action", code="invalid", field="action")
    if action != "pay":
        return {"action": action, "paid": False, "delivered": 0}
    body = _paid_notice(sandbox, out_trade_no, now)
    if body is None:
        raise Conflict(
            "this payment can no longer be paid (closed or expired)",
            code="payment_closed",
            field="out_trade_no",
        )
    times = {"now": 1, "twice": 2}.get(deliver, 0)
    if deliver == "late":
        sandbox.queue(body, now + LATE)
    for _ in range(times):
        with database.unit_of_work() as session:
            settle.receive(
                session, kind="sandbox", headers=sandbox.headers_for(body), body=body, now=now
            )
    return {"action": action, "paid": True, "delivered": times}


def _paid_notice(sandbox, out_trade_no: str, now: datetime) -> bytes | None:
    """The payment's notification once paid, or None if it can no longer be paid. Paid before
    (pressed again after an answer that never came, as in a database failover between the
    sandbox's books and ours): its notification once more, which settles once."""
    body = sandbox.pay(out_trade_no, now)
    if body is None:
        trade = sandbox.books.trade(out_trade_no)
        if trade is not None and trade["status"] == SUCCESS:
            body = sandbox.payment_notice(out_trade_no, now)
    return body


def pay_again(
    database: Database,
    *,
    consumer_id: int,
    order_id: int,
    now: datetime,
    payer_openid: str | None = None,
    payer_ip: str | None = None,
) -> PaymentRead:
    """The same payment again (asked at the provider, with this request's payer details, if
    that failed before), while it runs."""
    with database.unit_of_work(write=False) as session:
        order = own_order(session, consumer_id=consumer_id, order_id=order_id)
        payment = payment_of(session, order.id)
        zone = zone_named(cached_city(session, order.city_id).timezone)
    if payment.status != OPEN or payment.pay_by <= now:
        raise Conflict(
            "this order's payment is no longer open",
            code="payment_closed",
            details={"status": payment.status},
        )
    asked = ask_provider(database, order_id=order_id, payer_openid=payer_openid, payer_ip=payer_ip)
    return payment_read(asked, zone)
