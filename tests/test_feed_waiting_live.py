"""Parked store-feed polls on a real gunicorn, per engine (gevent on PostgreSQL, gthread on
SQLite): hundreds wait at once, an order wakes its own tablet's poll and no other, and a full
worker refuses with 503 and Retry-After instead of answering empty polls at once."""

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import aiohttp
import pytest

from service.clock import SystemClock
from service.db import Database, make_engine
from tests.support.factories import make_city, make_consumers, make_store
from tests.support.payments import place_and_pay_live
from tests.support.tablets import store_token, tablet
from tests.test_store_feed_live import HOME

pytestmark = pytest.mark.live
TABLETS = 300
STORES = 30  # ten tablets a store: a shop's counter, the back room, the manager's phone...


def open_shops(server, stores: int) -> tuple[list[int], list[dict], str]:
    """Tablet stores 1 km from the centre (the first sells bread), their tablets' headers and
    a consumer's token."""
    engine = make_engine(server.database_url)
    with Database(engine).unit_of_work() as session:
        now, city = SystemClock().now(), make_city(session)
        shops = [
            make_store(
                session,
                city,
                1.0 + n / 100,
                max_open_orders=1000,
                stock={"BAK-0001": (100, 4800)} if n == 0 else {},
                **tablet(now),
            )
            for n in range(stores)
        ]
        headers = [{"Authorization": f"Bearer {store_token(session, s.id, now)}"} for s in shops]
        [(_, consumer)] = make_consumers(session, 1, now)
    engine.dispose()
    return [s.id for s in shops], headers, consumer


async def cursor_of(http, url: str, headers: dict) -> str:
    """The feed's cursor now: a poll after it hears of every later event."""
    async with http.get(url, headers=headers) as first:
        return (await first.json())["cursor"]


async def wait_after(http, url: str, headers: dict, cursor: str, wait: float):
    params = {"after": cursor, "wait": str(wait)}
    async with http.get(url, params=params, headers=headers) as got:
        return got.status, dict(got.headers) | {"body": await got.json()}, time.monotonic()


async def park(http, url: str, headers: dict, wait: float) -> tuple[int, dict, float]:
    return await wait_after(http, url, headers, await cursor_of(http, url, headers), wait)


def run_apart(scenario):
    """Run the scenario's event loop on a thread of its own: the session's playwright browser
    keeps a loop running on the test's thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(scenario())).result()


def place_order(server, consumer: str):
    """Place and pay: the store's tablets hear of an order once it is paid."""
    body = {"items": [{"sku": "BAK-0001", "qty": 1}], "payment_method": "wechat", **HOME}
    headers = {"Authorization": f"Bearer {consumer}"}
    return place_and_pay_live(server.url, body, headers, "park")


def test_hundreds_of_parked_polls_and_an_order_wakes_only_its_own_stores_tablets(live_server):
    server = live_server()
    _, headers, consumer = open_shops(server, STORES)
    url = server.url + "/v1/store/feed"

    async def scenario():
        limits = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=limits) as http:
            # Every tablet's cursor first, however long 300 requests take on a loaded machine:
            # a cursor taken after the order would wait past it (7 of 10 woken at load 11).
            tablets = [headers[n % STORES] for n in range(TABLETS)]
            cursors = await asyncio.gather(*(cursor_of(http, url, h) for h in tablets))
            polls = [
                asyncio.create_task(wait_after(http, url, h, cursor, 25))
                for h, cursor in zip(tablets, cursors, strict=True)
            ]
            await asyncio.sleep(3)  # parked (a poll not yet parked hears of the order at once)
            placed = await asyncio.to_thread(place_order, server, consumer)
            assert placed.status_code == 201, placed.text
            woken = [polls[n] for n in range(0, TABLETS, STORES)]  # the bread shop's tablets
            # The others wait at least 18.75 s (25 jittered down by a quarter) after parking.
            done, _ = await asyncio.wait(woken, timeout=15)
            still_parked = sum(not p.done() for p in polls if p not in woken)
            answers = [p.result() for p in done]
            for poll in polls:
                poll.cancel()
            return answers, still_parked

    answers, still_parked = run_apart(scenario)
    assert len(answers) == TABLETS // STORES
    for status, got, _ in answers:
        assert status == 200 and [e["kind"] for e in got["body"]["events"]] == ["placed"]
    # Woken by the order, not by a timeout: every other store's tablets still wait.
    assert still_parked == TABLETS - TABLETS // STORES


def test_a_full_worker_answers_503_with_retry_after_and_the_parked_polls_keep_waiting(
    live_server,
):
    server = live_server(workers=1, env={"HD_FEED_WAITERS": "5"})
    _, headers, _ = open_shops(server, 6)
    url = server.url + "/v1/store/feed"

    async def scenario():
        async with aiohttp.ClientSession() as http:
            parked = [asyncio.create_task(park(http, url, headers[n], 20)) for n in range(5)]
            await asyncio.sleep(3)
            refused = await park(http, url, headers[5], 20)
            waiting = sum(not p.done() for p in parked)
            for poll in parked:
                poll.cancel()
            return refused, waiting

    (status, got, _), waiting = run_apart(scenario)
    assert status == 503 and got["body"]["error"]["code"] == "feed_full"
    retry = int(got["Retry-After"])
    assert 10 <= retry <= 20 and got["body"]["error"]["retry_after_s"] == retry
    assert waiting == 5  # the refusal came at once, the parked polls were left alone
