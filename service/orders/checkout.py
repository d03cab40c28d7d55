"""POST /v1/orders end to end: the order's transaction, the provider, the provider's answer."""

from datetime import datetime

from service.cities.service import cached_city, zone_named
from service.db import Database
from service.orders.placement import place_order
from service.orders.schemas import OrderIn
from service.payments.service import payment_of, safe_ask
from service.payments.views import payment_read


def checkout(
    database: Database,
    *,
    consumer_id: int,
    order_in: OrderIn,
    key: str,
    now: datetime,
    client_ip: str | None = None,
) -> tuple[int, dict]:
    """Commit the order AWAITING_PAYMENT, then open its payment at the provider (outside any
    transaction), then store the answer: the order and what the client needs to pay.
    client_ip: the consumer's address (through the trusted proxies), which WeChat H5 checks."""
    with database.unit_of_work() as session:
        placed = place_order(
            session=session, consumer_id=consumer_id, order_in=order_in, key=key, now=now
        )
    payer = {"payer_openid": order_in.payer_openid, "payer_ip": client_ip}
    if placed.status != 201 or placed.payment is None:
        return placed.status, _replayed(database, placed, payer)
    # As stored with the provider's answer; as the order's transaction left it when the
    # provider could not be reached (the client's "pay again" asks once more).
    opened = placed.payment
    payment = safe_ask(database, opened.order_id, opened=opened, **payer) or opened
    return 201, {
        **placed.body,
        "payment": payment_read(payment, placed.zone).model_dump(mode="json"),
    }


def _replayed(database: Database, placed, payer: dict) -> dict:
    """The answer given before for this key; an order's with its payment as it stands now
    (asked at the provider if that failed then)."""
    if placed.status != 201:
        return placed.body
    order_id = placed.body["order"]["id"]
    payment = safe_ask(database, order_id, **payer)
    with database.unit_of_work(write=False) as session:  # no statement when all is at hand
        payment = payment or payment_of(session, order_id)
        zone = zone_named(cached_city(session, payment.city_id).timezone)
        return {**placed.body, "payment": payment_read(payment, zone).model_dump(mode="json")}
