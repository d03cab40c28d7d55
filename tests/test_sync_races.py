"""Syncs racing orders on a live server (2 gunicorn workers, both engines): a sync never
overwrites `reserved`, availability never goes negative, a refused feed changes nothing."""

import threading
from collections import Counter

import pytest
import requests
from sqlalchemy import func, select

from service.catalog.models import StoreStock
from service.clock import SystemClock
from service.db import Database, make_engine
from service.orders.models import Order
from service.stores.models import Store
from service.sync.service import run_sync, task_of
from tests.support.factories import make_city, make_consumers, make_store
from tests.support.feed_server import feed_server
from tests.support.race import race
from tests.test_campaign_admin import operator_headers
from tests.test_order_races import order_call

pytestmark = pytest.mark.live


def feed(on_hand: int, trailer: bool = True) -> str:
    return f"sku,on_hand,price_fen\nBAK-0001,{on_hand},4800\n" + ("#rows=1\n" if trailer else "")


def sync_now(database: Database, store_id: int):
    with database.unit_of_work() as session:
        task = task_of(session.get(Store, store_id))
        return run_sync(session=session, task=task, now=SystemClock().now()).status


def stock(engine, store_id) -> tuple[int, int]:
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                select(StoreStock.on_hand, StoreStock.reserved).where(
                    StoreStock.store_id == store_id
                )
            ).one()
        )


def test_syncs_racing_orders_never_overwrite_reservations(live_server, tmp_path):
    server = live_server()
    engine = make_engine(server.database_url)
    database = Database(engine)
    path = tmp_path / "feed.csv"
    path.write_text(feed(30))
    with database.unit_of_work() as session:
        store = make_store(
            session,
            make_city(session),
            1.0,
            max_open_orders=500,
            adapter_kind="csv",
            adapter_settings={"path": str(path)},
            stock={"BAK-0001": (20, 4800)},
        )
        people = make_consumers(session, 60, SystemClock().now())
    statuses, stop = [], threading.Event()

    def keep_syncing():
        while not stop.wait(0.02):  # a busy scheduler's pace, not a loop hogging the writer lock
            statuses.append(sync_now(database, store.id))

    syncer = threading.Thread(target=keep_syncing)
    syncer.start()
    try:
        responses = race([order_call(server, token, "k") for _, token in people], clients=16)
    finally:
        stop.set()
        syncer.join()
    placed = Counter(r.status_code for r in responses)[201]
    assert set(statuses) == {"ok"} and statuses
    assert stock(engine, store.id) == (30, placed)  # the feed's shelf, every order's hold
    assert 20 <= placed <= 30
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Order)).scalar() == placed
    path.write_text(feed(5))  # the shelf below what orders hold: allowed, nothing more sells
    assert sync_now(database, store.id) == "ok"
    assert stock(engine, store.id) == (5, placed)
    more = race([order_call(server, token, "k2") for _, token in people[:4]], clients=4)
    assert {r.status_code for r in more} == {409}
    path.write_text(feed(50, trailer=False))
    assert sync_now(database, store.id) == "refused"
    assert stock(engine, store.id) == (5, placed)
    engine.dispose()


def test_an_operator_sync_reads_a_slow_feed_before_it_holds_any_lock(live_server):
    server = live_server()
    engine = make_engine(server.database_url)
    with feed_server() as feeds:
        with Database(engine).unit_of_work() as session:
            town = make_city(session)
            url = f"{feeds.url}/csv/lotus_changsha_wuyi.csv"
            settings = {"url": url, "timeout_s": 90}  # the held feed must not time out
            synced = make_store(session, town, 2.0, adapter_kind="csv", adapter_settings=settings)
            make_store(session, town, 1.0, stock={"BAK-0001": (20, 4800)})
            ((_, token),) = make_consumers(session, 1, SystemClock().now())
            platform = operator_headers(session, SystemClock())
        release = feeds.switches["hold"] = threading.Event()  # the feed answers when released
        answers = []
        sync_url = f"{server.url}/v1/admin/sync/{synced.id}"
        post = lambda: answers.append(requests.post(sync_url, json={}, headers=platform))  # noqa: E731
        sync = threading.Thread(target=post)
        sync.start()
        try:
            assert feeds.holding.wait(60), "the sync never asked the store's system"
            # Before, on SQLite the sync held the write lock while it read: the order waited.
            (placed,) = race([order_call(server, token, "k")], clients=1)
            sync_still_reading = not answers
        finally:
            release.set()
            sync.join()
    assert placed.status_code == 201 and sync_still_reading
    assert answers[0].status_code == 200 and answers[0].json()["status"] == "ok"
    engine.dispose()
