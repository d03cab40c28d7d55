"""Benchmark: store tablets polling their feed, and orders reaching waiting tablets.

* empty poll in-process: token auth plus the feed read, as the route does them;
* HTTP empty polls (wait=0) from distinct tablets beside /v1/_ping on the same server;
* TABLETS tablets of distinct stores long-polling at once (threads, one keep-alive connection
  each), while another process places orders naming those stores one after another:
  order_to_tablet is from sending POST /v1/orders to the waiting tablet reading the event.
The server counts its parked polls (X-Feed-Waiting, per worker); the peak is the sum over the
workers of the largest count each reported. One JSON line per engine; BENCH_SCALE=tiny: small.
"""

import multiprocessing
import os
import random
import statistics
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime

import requests

from service.auth.service import authenticate
from service.db import Database, make_engine
from service.tablet.cursor import make_cursor
from service.tablet.feed import read_feed
from tests.bench._common import TINY, Bench, emit, engines
from tests.bench._cpu import measured_load
from tests.bench._loadgen import Call, json_call, percentile_ms, span, throughput
from tests.support.factories import make_city, make_consumers, make_store
from tests.support.tablets import store_token, tablet

TABLETS, ORDERS, EMPTY_POLLS, PINGS, WAIT_S = (
    (20, 10, 1_000, 1_000, 3) if TINY else (1_000, 100, 10_000, 10_000, 20)
)
IN_PROCESS = 300 if TINY else 2_000
CLIENTS = 64
SECRET = "dev-only-not-secret"  # the server's default SECRET_KEY (gunicorn_conf environment)


def main() -> None:
    os.environ["HD_FEED_WAITERS"] = str(TABLETS // 2 + 100)  # per worker; the make_run model
    # 1,000 client threads in one process on a busy box can take over gunicorn's default 2 s
    # to send the next poll on a connection: keep idle connections as a tablet fleet needs.
    os.environ["HD_KEEPALIVE_S"] = "30"
    for engine in engines():
        bench = Bench(engine)
        try:
            emit(run(bench))
        finally:
            bench.close()


def run(bench: Bench) -> dict:
    stores, consumers = _seed(bench)
    figures = {"benchmark": "store_feed", "engine": bench.engine, "tablets": TABLETS,
               "empty_poll_p50_ms": _in_process(bench, stores)}  # fmt: skip
    server = bench.serve()
    pinged = measured_load(server, [Call("GET", "/v1/_ping")] * PINGS, clients=CLIENTS)
    calls = [json_call("GET", f"/v1/store/feed?after={make_cursor(SECRET, s, 0)}", None, t)
             for s, t, _ in stores] * (EMPTY_POLLS // len(stores))  # fmt: skip
    polled = measured_load(server, calls, clients=CLIENTS)
    rate, ceiling = _rate(polled.results), throughput(pinged.results)
    figures.update({
        "http_empty_polls_per_s": round(rate, 1), "ceiling_req_per_s": round(ceiling, 1),
        "ratio_to_ceiling": round(rate / ceiling, 3),
        **pinged.cpu_figures("ping_", *span(pinged.results), len(pinged.results)),
        **polled.cpu_figures("poll_", *span(polled.results), len(polled.results)),
        **_waiting_tablets(server.url, stores, consumers),
    })  # fmt: skip
    return figures


def _rate(results) -> float:
    ok = [r for r in results if r.status == 200]
    assert len(ok) == len(results), f"{len(results) - len(ok)} polls failed"
    return len(ok) / (span(results)[1] - span(results)[0])


def _seed(bench: Bench):
    """TABLETS 24 h tablet stores 0-4 km from a test city's centre, with tokens; consumers."""
    now = datetime.now(UTC)
    rng = random.Random("store-feed")
    with Database(make_engine(bench.url)).unit_of_work() as session:
        city = make_city(session, code="feedville")
        stores = []
        for _ in range(TABLETS):
            store = make_store(session, city, rng.uniform(-3, 3), rng.uniform(-3, 3),
                               stock={"BAK-0001": (10_000, 4800)}, **tablet(now))  # fmt: skip
            stores.append((store.id, store_token(session, store.id, now), (store.lat, store.lon)))
        consumers = [t for _, t in make_consumers(session, ORDERS, now)]
    return stores, consumers


def _in_process(bench: Bench, stores) -> float:
    """p50 ms of token auth + an empty feed read, each in its own read transaction."""
    database = Database(make_engine(bench.url))
    times = []
    for n in range(IN_PROCESS):
        store_id, token, _ = stores[n % len(stores)]
        began = time.perf_counter()
        with database.unit_of_work(write=False) as session:
            authenticate(session=session, secret=token)
            read_feed(session=session, store_id=store_id, after=0)
        times.append(time.perf_counter() - began)
    return round(statistics.median(times) * 1000, 3)


def _waiting_tablets(url: str, stores, consumers) -> dict:
    """Every tablet long-polls; another process places orders at them; latencies and peak."""
    received, peaks, stop = {}, defaultdict(int), threading.Event()
    lock, parked = threading.Lock(), threading.Semaphore(0)
    threads = [threading.Thread(target=_tablet, daemon=True,
                                args=(url, s, received, peaks, lock, stop, parked))
               for s in stores]  # fmt: skip
    for thread in threads:
        thread.start()
    for _ in threads:  # every tablet has its cursor and is about to park
        parked.acquire()
    time.sleep(WAIT_S / 2)
    with multiprocessing.get_context("fork").Pool(1) as pool:
        sent = pool.apply(_place_orders, (url, stores, consumers))
    deadline = time.time() + 2 * WAIT_S
    while len(received) < len(sent) and time.time() < deadline:
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(timeout=3 * WAIT_S)
    latencies = [received[o] - t for o, t in sent.items() if o in received]
    return {"orders": len(sent), "orders_seen": len(latencies), "poll_retries": len(RETRIES),
            "waiting_polls_peak": sum(peaks.values()),
            "order_to_tablet_p50_ms": percentile_ms(latencies, 50),
            "order_to_tablet_p99_ms": percentile_ms(latencies, 99)}  # fmt: skip


def _tablet(url, store, received, peaks, lock, stop, parked) -> None:
    store_id, token, _ = store
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    cursor = _get(http, url + "/v1/store/feed", {}).json()["cursor"]
    parked.release()
    while not stop.is_set():
        answer = _get(http, url + "/v1/store/feed", {"after": cursor, "wait": WAIT_S}, stop)
        if answer is None:
            return
        at = time.time()
        body = answer.json()
        cursor = body["cursor"]
        with lock:
            for event in body["events"]:
                if event["kind"] == "placed":
                    received.setdefault(event["order_id"], at)
            if "X-Feed-Worker" in answer.headers:
                worker = answer.headers["X-Feed-Worker"]
                peaks[worker] = max(peaks[worker], int(answer.headers["X-Feed-Waiting"]))


RETRIES = []  # polls retried after a dropped connection, as a tablet would


def _get(http, url, params, stop=None):
    for _ in range(20):
        if stop is not None and stop.is_set():
            return None
        try:
            return http.get(url, params=params, timeout=120)
        except requests.ConnectionError:  # a kept-alive connection the server closed meanwhile
            RETRIES.append(1)
            time.sleep(0.1)
    raise RuntimeError("the server kept dropping the tablet's connection")


def _place_orders(url: str, stores, consumers) -> dict:
    """order id -> time.time() when its POST was sent, one order at a time."""
    rng, sent, http = random.Random("orders"), {}, requests.Session()
    for n, token in enumerate(consumers):
        store_id, _, (lat, lon) = rng.choice(stores)
        body = {"items": [{"sku": "BAK-0001", "qty": 1}], "payment_method": "wechat",
                "lat": lat, "lon": lon, "address": "基准路1号", "store_id": store_id}  # fmt: skip
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"feed-{n}"}
        began = time.time()
        answer = http.post(url + "/v1/orders", json=body, headers=headers, timeout=60)
        if answer.status_code == 201:
            sent[answer.json()["order"]["id"]] = began
        time.sleep(0.02)
    return sent


if __name__ == "__main__":
    main()
