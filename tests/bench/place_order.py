"""Benchmark: placing orders in a city of 5,000 stores x 200 SKUs (1M stock rows).

In-process through the same service function as the route (a share with coupons, distinct
idempotency keys), against the naive baseline (the same code with the prefilter off: a
geodesic to every store of the city), and over HTTP beside /v1/_ping on the same server.
One JSON line per engine. BENCH_SCALE=tiny runs a small city (CI smoke). The orders are left
AWAITING_PAYMENT on purpose: the figure is the placement itself (match, reserve, commit); paying
is a request of its own, measured by tests/bench/payments.py, and no store is needed here.
"""

import os
import random
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from service.campaigns.claims import claim_pack
from service.config import Settings
from service.db import Database, make_engine
from service.orders.placement import place_order
from service.orders.schemas import OrderIn
from service.payments import accounts
from tests.bench._bench_city import each_engine, point_in_disc
from tests.bench._common import TINY, beside_ping
from tests.bench._loadgen import Call, json_call, percentile_ms
from tests.support.factories import make_campaign, make_consumers

STORES, SKUS = (300, 40) if TINY else (5_000, 200)
IN_PROCESS, NAIVE, HTTP_ORDERS, PINGS = (60, 5, 200, 1_000) if TINY else (1_000, 20, 3_000, 10_000)
COUPON_SHARE = 0.2
CLIENTS = 64


def main() -> None:
    os.environ.setdefault("HD_TESTING", "1")  # the sandbox is the orders' payment provider
    accounts.configure(Settings(database_url="sqlite://", testing=True))  # and in-process
    each_engine("orders", STORES, SKUS, run)


def run(engine: str, url: str, workdir: Path) -> dict:
    sa_engine = make_engine(url)
    database = Database(sa_engine)
    people = _people(database, IN_PROCESS + NAIVE + HTTP_ORDERS)
    rng = random.Random(f"orders-{engine}")
    bodies = [_body(rng, coupon) for _, _, coupon in people]
    timed = _in_process(database, people[:IN_PROCESS], bodies[:IN_PROCESS], prefilter=True)
    naive = _in_process(
        database,
        people[IN_PROCESS : IN_PROCESS + NAIVE],
        bodies[IN_PROCESS : IN_PROCESS + NAIVE],
        prefilter=False,
    )
    sa_engine.dispose()
    http = _over_http(url, workdir, people[-HTTP_ORDERS:], bodies[-HTTP_ORDERS:])
    placed = [t for t, status in timed if status == 201]
    p50 = statistics.median(placed)
    naive_p50 = statistics.median(t for t, _ in naive)
    return {
        "benchmark": "place_order",
        "engine": engine,
        "stores": STORES,
        "skus": SKUS,
        "stock_rows": STORES * SKUS,
        "orders": len(timed),
        "placed_share": round(len(placed) / len(timed), 3),
        "p50_ms": round(p50 * 1000, 2),
        "p99_ms": percentile_ms(placed, 99),
        "naive_p50_ms": round(naive_p50 * 1000, 2),
        "speedup_vs_naive": round(naive_p50 / p50, 1),
        **http,
    }


def _people(database: Database, count: int) -> list[tuple[int, str, int | None]]:
    """Consumers with tokens; a share of them holding a claimed coupon for the bench city."""
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        campaign, _ = make_campaign(
            session, now, code="benchcity", quota=count, pack=((0, 300, 1),)
        )
        people = make_consumers(session, count, now)
    rng = random.Random("coupon-holders")
    out = []
    for consumer_id, token in people:
        coupon = None
        if rng.random() < COUPON_SHARE:
            with database.unit_of_work() as session:
                claimed = claim_pack(
                    session=session,
                    consumer_id=consumer_id,
                    campaign_id=campaign.id,
                    lat=31.2304,
                    lon=121.4737,
                    now=now,
                )
            coupon = claimed.coupons[0].id
        out.append((consumer_id, token, coupon))
    return out


def _body(rng: random.Random, coupon_id: int | None) -> dict:
    lat, lon = point_in_disc(rng, 14.0)
    items = [
        {"sku": f"BEN-{n:04d}", "qty": rng.randint(1, 2)}
        for n in rng.sample(range(1, SKUS + 1), rng.randint(1, 3))
    ]
    return {
        "items": items,
        "lat": lat,
        "lon": lon,
        "address": "基准路1号",
        "payment_method": "wechat",
        "coupon_id": coupon_id,
    }


def _in_process(database, people, bodies, *, prefilter: bool) -> list[tuple[float, int]]:
    results = []
    for (consumer_id, _, _), body in zip(people, bodies, strict=True):
        began = time.perf_counter()
        try:
            with database.unit_of_work() as session:
                status, *_ = place_order(
                    session=session,
                    consumer_id=consumer_id,
                    order_in=OrderIn.model_validate(body),
                    key=f"bench-{consumer_id}",
                    now=datetime.now(UTC),
                    prefilter=prefilter,
                )
        except Exception as error:  # a refusal (no store, coupon not applicable) is an outcome
            status = getattr(error, "code", "error")
        results.append((time.perf_counter() - began, status))
    return results


def _over_http(url: str, workdir: Path, people, bodies) -> dict:
    calls = [
        json_call("POST", "/v1/orders", body, token)
        for (_, token, _), body in zip(people, bodies, strict=True)
    ]
    calls = [
        Call(c.method, c.path, c.body, (*c.headers, ("Idempotency-Key", f"h{i}")))
        for i, c in enumerate(calls)
    ]
    return beside_ping(
        url,
        workdir,
        calls,
        name="orders",
        ok=201,
        pings=PINGS,
        clients=CLIENTS,
        share_key="http_placed_share",
        cpu_prefix="order_",
    )


if __name__ == "__main__":
    main()
