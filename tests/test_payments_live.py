"""Payments under real concurrency (2 gunicorn workers, both engines): one outcome, one charge."""

import threading
from collections import Counter
from datetime import timedelta
from urllib.parse import urlparse

import pytest
import requests
from sqlalchemy import func, select

from service.clock import SystemClock
from service.config import Settings
from service.db import Database, make_engine
from service.orders.models import LedgerEntry, Order
from service.payments import accounts
from service.payments.models import Refund
from tests.support.factories import TEST_CENTRE, make_city, make_consumers, make_store
from tests.support.payments import run
from tests.support.race import race
from tests.support.tablets import store_token

pytestmark = pytest.mark.live
HOME = {"lat": TEST_CENTRE[0], "lon": TEST_CENTRE[1], "address": "测试路100号"}
BODY = {"items": [{"sku": "BAK-0001", "qty": 3}], "payment_method": "wechat", **HOME}


@pytest.fixture
def town(live_server):
    server = live_server()
    accounts.configure(Settings(database_url=server.database_url))  # the server's sandbox key
    database = Database(make_engine(server.database_url))
    with database.unit_of_work() as session:
        now = SystemClock().now()
        store = make_store(
            session, make_city(session), 1.0, max_open_orders=500, stock={"BAK-0001": (300, 4800)}
        )
        people = make_consumers(session, 10, now)
        staff = store_token(session, store.id, now)
    yield server, database, [{"Authorization": f"Bearer {t}"} for _, t in people], staff
    database.engine.dispose()


def place(server, consumer, key) -> dict:
    answer = requests.post(
        server.url + "/v1/orders",
        json=BODY,
        timeout=30,
        headers={**consumer, "Idempotency-Key": key},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def money(database, order_id) -> Counter:
    with database.unit_of_work(write=False) as session:
        rows = session.execute(
            select(LedgerEntry.kind, func.sum(LedgerEntry.amount_fen))
            .where(LedgerEntry.order_id == order_id)
            .group_by(LedgerEntry.kind)
        ).all()
    return Counter(dict(rows))


def test_a_notification_racing_a_cancel_and_the_close_job_has_exactly_one_outcome(town):
    server, database, consumers, _ = town
    for round_ in range(4):
        order_id = pay_cancel_and_close_at_once(server, database, consumers[round_], round_)
        past_pay_by = SystemClock().now() + timedelta(minutes=16)
        run(database, "close_unpaid", past_pay_by)  # whatever the cancel left open
        run(database, "send_refunds", SystemClock().now())
        with database.unit_of_work(write=False) as session:
            order = session.get(Order, order_id)
            asked = session.execute(
                select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
                    Refund.order_id == order_id
                )
            ).scalar()
        moved = money(database, order_id)
        if order.status == "CANCELLED":  # closed or cancelled: nothing kept
            assert moved["charge"] == moved["refund"] == asked, (round_, moved, asked)
        else:  # paid and placed: charged once, nothing given back
            assert order.status == "ACCEPTED", order.status
            assert moved == Counter({"charge": order.payable_fen}), moved
            assert asked == 0


def pay_cancel_and_close_at_once(server, database, consumer, round_) -> int:
    """The consumer pays and cancels while the close job runs past pay_by: the order's id."""
    placed = place(server, consumer, f"race{round_}")
    order_id, cashier = placed["order"]["id"], urlparse(placed["payment"]["pay_url"]).path
    past_pay_by = SystemClock().now() + timedelta(minutes=16)
    barrier = threading.Barrier(3)

    def pay():
        barrier.wait()
        requests.post(server.url + cashier, json={"action": "pay", "deliver": "now"}, timeout=30)

    def cancel():
        barrier.wait()
        requests.post(
            f"{server.url}/v1/orders/{order_id}/cancel", json={}, timeout=30, headers=consumer
        )

    def close():
        barrier.wait()
        run(database, "close_unpaid", past_pay_by)

    threads = [threading.Thread(target=f) for f in (pay, cancel, close)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return order_id


def test_the_same_notification_twenty_times_at_once_charges_once(town):
    server, database, consumers, _ = town
    placed = place(server, consumers[0], "twenty")
    trade = urlparse(placed["payment"]["pay_url"]).path.rsplit("/", 1)[1]
    pressed = requests.post(
        server.url + urlparse(placed["payment"]["pay_url"]).path,
        timeout=30,
        json={"action": "pay", "deliver": "never"},
    )
    assert pressed.json()["paid"] is True
    sandbox = accounts.provider("sandbox")
    body = sandbox.payment_notice(trade, SystemClock().now())
    call = {
        "method": "POST",
        "url": server.url + "/v1/payments/notify/sandbox",
        "data": body,
        "headers": sandbox.headers_for(body),
    }
    answers = race([call] * 20, clients=20)
    assert Counter(a.status_code for a in answers) == {200: 20}
    assert money(database, placed["order"]["id"]) == Counter({"charge": 14400})


def test_two_short_picks_of_the_same_line_at_once_refund_once(town):
    server, database, consumers, staff = town
    placed = place(server, consumers[0], "short")
    requests.post(
        server.url + urlparse(placed["payment"]["pay_url"]).path,
        timeout=30,
        json={"action": "pay", "deliver": "now"},
    )
    order_id, auth = placed["order"]["id"], {"Authorization": f"Bearer {staff}"}
    line = requests.get(
        f"{server.url}/v1/store/orders/{order_id}", headers=auth, timeout=30
    ).json()["lines"][0]
    call = {
        "method": "POST",
        "url": f"{server.url}/v1/store/orders/{order_id}/short-pick",
        "headers": auth,
        "json": {"line_id": line["id"], "picked_qty": 2},
    }
    answers = race([call] * 2, clients=2)
    codes = sorted(a.status_code for a in answers)  # the second: 409 in a race, 422 after it
    assert codes[0] == 200 and codes[1] in (409, 422), [a.text for a in answers]
    with database.unit_of_work(write=False) as session:
        refunds = (
            session.execute(select(Refund.amount_fen).where(Refund.order_id == order_id))
            .scalars()
            .all()
        )
    assert len(refunds) == 1 and refunds[0] == 14400 // 3
