"""The store feed against real gunicorn (2 workers) on both engines, orders racing in."""

import random
import threading
import time

import pytest
import requests
from sqlalchemy import select

from service.clock import SystemClock
from service.db import Database, make_engine
from service.orders.models import OrderEvent
from tests.support.factories import TEST_CENTRE, make_consumers
from tests.support.payments import cashier_path
from tests.support.race import race
from tests.support.tablets import busy_tablet_store

pytestmark = pytest.mark.live
HOME = {"lat": TEST_CENTRE[0], "lon": TEST_CENTRE[1], "address": "测试路100号"}


def open_shop(server, consumers: int):
    """A tablet store with plenty of stock, its token, and consumers' tokens."""
    engine = make_engine(server.database_url)
    with Database(engine).unit_of_work() as session:
        now = SystemClock().now()
        store, token = busy_tablet_store(session, now)
        people = make_consumers(session, consumers, now)
    return engine, store.id, {"Authorization": f"Bearer {token}"}, [t for _, t in people]


def order_call(server, token, key):
    body = {"items": [{"sku": "BAK-0001", "qty": 1}], "payment_method": "wechat", **HOME}
    return {
        "method": "POST",
        "url": server.url + "/v1/orders",
        "json": body,
        "headers": {"Authorization": f"Bearer {token}", "Idempotency-Key": key},
    }


def pay_call(server, placed: dict) -> dict:
    """The consumer presses "pay" at the sandbox cashier: the order reaches its store."""
    return {
        "method": "POST",
        "url": server.url + cashier_path(placed["payment"]),
        "json": {"action": "pay", "deliver": "now"},
    }


class Tablet:
    """Polls the feed from a cursor, keeping every event and every cursor it was given."""

    def __init__(self, server, headers):
        self.url, self.headers = server.url + "/v1/store/feed", headers
        self.http = requests.Session()
        self.cursor = self.http.get(self.url, headers=headers, timeout=30).json()["cursor"]
        self.events, self.cursors = [], [(self.cursor, 0)]

    def poll(self, wait: float = 0) -> list:
        answer = self.http.get(
            self.url, params={"after": self.cursor, "wait": wait}, headers=self.headers, timeout=60
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        self.events += body["events"]
        self.cursor = body["cursor"]
        self.cursors.append((self.cursor, len(self.events)))
        return body["events"]


def test_resuming_from_any_cursor_repeats_and_skips_nothing_while_orders_race_in(live_server):
    server = live_server()
    engine, store_id, headers, tokens = open_shop(server, 40)
    tablet_client = Tablet(server, headers)
    stop = threading.Event()

    def accept(events):  # staff accept as orders arrive: more writers, other event kinds
        for event in events:
            if event["kind"] == "placed":
                url = f"{server.url}/v1/store/orders/{event['order_id']}/accept"
                assert tablet_client.http.post(url, headers=headers, timeout=30).ok

    def keep_polling():
        while not stop.is_set():
            accept(tablet_client.poll(wait=1))

    poller = threading.Thread(target=keep_polling)
    poller.start()
    try:
        responses = race([order_call(server, t, "k") for t in tokens], clients=40)
        paid = race([pay_call(server, r.json()) for r in responses], clients=40)
        assert {r.status_code for r in paid} == {200}, [r.text for r in paid]
    finally:
        stop.set()
        poller.join()
    assert {r.status_code for r in responses} == {201}
    while events := tablet_client.poll():  # catch up
        accept(events)
    with engine.connect() as conn:
        stored = (
            conn.execute(
                select(OrderEvent.id).where(OrderEvent.store_id == store_id).order_by(OrderEvent.id)
            )
            .scalars()
            .all()
        )
    seen = [e["id"] for e in tablet_client.events]
    assert seen == stored and len(stored) == 2 * len(tokens)  # placed and accepted
    for cursor, count in random.Random(7).sample(
        tablet_client.cursors, min(8, len(tablet_client.cursors))
    ):
        replay = Tablet.__new__(Tablet)
        replay.url, replay.headers, replay.http = tablet_client.url, headers, requests.Session()
        replay.cursor, replay.events, replay.cursors = cursor, [], []
        while replay.poll():
            pass
        assert [e["id"] for e in replay.events] == seen[count:]


def test_a_waiting_poll_answers_as_soon_as_an_order_is_placed(live_server):
    server = live_server()
    _, _, headers, tokens = open_shop(server, 1)
    tablet_client = Tablet(server, headers)
    answered = {}
    placed = requests.request(timeout=30, **order_call(server, tokens[0], "k"))
    assert placed.status_code == 201  # unpaid: nothing in the store's feed yet

    def wait_for_order():
        answered["events"] = tablet_client.poll(wait=20)
        answered["at"] = time.monotonic()

    waiting = threading.Thread(target=wait_for_order)
    waiting.start()
    time.sleep(0.5)  # let the poll park first (the test still passes if it has not)
    sent = time.monotonic()
    paid = requests.request(timeout=30, **pay_call(server, placed.json()))
    waiting.join()
    assert paid.status_code == 200
    # Woken, not timed out: a poll that times out answers with no events.
    assert [e["kind"] for e in answered["events"]] == ["placed"]
    print(f"payment to tablet: {(answered['at'] - sent) * 1000:.0f} ms")
