"""Benchmark: a city's evening on one host, against the `make run` server settings.

TABLETS tablets long-poll their store's feed (wait=20; each starts at a random moment of the
wait before the clock, as an evening's tablets poll at their own phases), COURIERS couriers send
a location every 15 s, searches and orders arrive at their rates all along and a burst of claims
in the middle, for DURATION_S, on the bench city (_bench_city: 5,000 stores x 200 SKUs). The
load generator is one asyncio process (tests/bench/_city_actors.py). Figures, over the measured
DURATION_S: cores used by the app (gunicorn's processes), the database (PostgreSQL's backends)
and the load generator; p50/p99 per route; order-to-tablet p99 (from the `placed` event's time,
stamped in its transaction, to its tablet's answer); polls per tablet per minute; 5xx. One JSON
line per engine; BENCH_SCALE=tiny plays a small city for 15 s.
"""

import multiprocessing
import os
import random
from collections import Counter
from pathlib import Path

from sqlalchemy.engine import make_url

from service.gunicorn_conf import DEFAULT_WORKERS
from tests.bench import _bench_city
from tests.bench._city_actors import Plan, play
from tests.bench._city_people import seed_people
from tests.bench._cpu import CpuSampler, postgres_backends
from tests.bench._loadgen import percentile_ms
from tests.bench.search import _query, _words
from tests.support.live import start_server

TINY = os.environ.get("BENCH_SCALE") == "tiny"
# stores x skus, tablets, couriers, searches/s, orders/s, claims/s, claim burst s, duration s
SCALE = (
    ((200, 20), 100, 100, 3.0, 1.0, 20.0, 5, 15)
    if TINY
    else ((5_000, 200), 2_000, 2_000, 30.0, 5.0, 200.0, 60, 180)
)
(STORES, SKUS), TABLETS, COURIERS, SEARCH_PER_S, ORDER_PER_S, CLAIM_PER_S, BURST_S, DURATION_S = (
    SCALE
)
WAIT_S = 20
SKU = "BEN-0001"


def main() -> None:
    os.environ.setdefault("HD_TESTING", "1")  # the sandbox is the orders' payment provider
    _bench_city.each_engine("city_load", STORES, SKUS, run)


def run(engine: str, url: str, workdir: Path) -> dict:
    plan = _seed(url)
    # make run's settings: its log level and its number of workers for the engine
    workers = DEFAULT_WORKERS[engine]
    server = start_server(url, workdir, workers=workers, env={"LOG_LEVEL": "INFO"})
    try:
        plan.url = server.url
        seen, cpu, wall = _measured(server, plan)
    finally:
        server.stop()
    return {
        "benchmark": "city_load",
        "engine": engine,
        "tablets": TABLETS,
        "couriers": COURIERS,
        "duration_s": DURATION_S,
        **_figures(seen, cpu, wall),
    }


def _seed(url: str) -> Plan:
    """The evening's people and what each of them will send."""
    rng = random.Random("city-load")
    claims = int(CLAIM_PER_S * BURST_S)
    orders = int(ORDER_PER_S * DURATION_S)
    people = seed_people(
        url,
        rng=rng,
        tablets=TABLETS,
        couriers=COURIERS,
        consumers=claims + orders,
        quota=claims,
        budget_fen=10**12,
    )
    consumers = people.consumers
    words = _words()
    return Plan(
        url="",
        duration_s=DURATION_S,
        wait_s=WAIT_S,
        tablets=people.tablets,
        couriers=people.couriers,
        searches=[_query(rng, words, n) for n in range(int(SEARCH_PER_S * DURATION_S))],
        search_per_s=SEARCH_PER_S,
        orderers=consumers[claims:],
        order_per_s=ORDER_PER_S,
        sku=SKU,
        claimers=consumers[:claims],
        claim_per_s=CLAIM_PER_S,
        claim_from_s=(DURATION_S - BURST_S) / 2,
        campaign_id=people.campaign_id,
        claim_point={"lat": _bench_city.CENTRE[0], "lon": _bench_city.CENTRE[1]},
    )


def _measured(server, plan: Plan):
    """Play the plan in a child process while sampling the server's and database's CPU."""
    groups = {"app": lambda: [server.process.pid, *server.worker_pids()]}
    database = make_url(server.database_url)
    if database.get_backend_name() == "postgresql":
        groups["db"] = lambda: postgres_backends(database.database)
    with (
        CpuSampler(groups, interval_s=0.5) as sampler,
        multiprocessing.get_context("fork").Pool(1) as pool,
    ):
        seen = pool.apply(play, (plan,))
    began, ended = seen.window  # the measured minutes, not the tablets' first reads
    wall = ended - began
    cpu = {name: sampler.used_ms(name, began, ended) / 1000 for name in groups}
    cpu["loadgen"] = seen.cpu_s
    return seen, cpu, wall


def _figures(seen, cpu: dict, wall: float) -> dict:
    """The JSON line's figures from what the actors saw and the CPU the processes used."""
    by_route: dict[str, list] = {}
    for route, status, seconds, _ in seen.answers:
        by_route.setdefault(route, []).append((status, seconds))
    placed = {o: lag for o, kind, lag in seen.event_lags if kind == "placed"}
    lags = [lag for _, _, lag in seen.event_lags]
    cores = {name: round(used / wall, 3) for name, used in cpu.items()}
    figures = {
        "server_5xx": sum(1 for _, status, _, _ in seen.answers if status >= 500),
        "order_to_tablet_p99_ms": percentile_ms(
            [placed[o] for o in seen.orders if o in placed], 99
        ),
        "poll_p99_ms": percentile_ms(lags, 99),
        "polls_per_tablet_per_min": round(seen.polls / TABLETS / (DURATION_S / 60), 2),
        "app_db_cores": round(cores.get("app", 0) + cores.get("db", 0), 3),
        "app_cores": cores["app"],
        "db_cores": cores.get("db", 0.0),
        "loadgen_cores": cores["loadgen"],
        "orders_placed": len(seen.orders),
        "orders_seen_by_tablets": sum(1 for o in seen.orders if o in placed),
        "unanswered": seen.unanswered,
        "load_average": round(os.getloadavg()[0], 2),
    }
    for route in ("location", "search", "order", "pay", "claim"):
        answered = [s for _, s in by_route.get(route, [])]
        figures[f"{route}_p50_ms"] = percentile_ms(answered, 50)
        figures[f"{route}_p99_ms"] = percentile_ms(answered, 99)
    figures["statuses"] = {
        route: dict(Counter(status for status, _ in answers)) for route, answers in by_route.items()
    }
    return figures


if __name__ == "__main__":
    main()
