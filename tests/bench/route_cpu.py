"""Benchmark: CPU milliseconds one request of each busy route costs, in process.

The city_load routes (a courier's location, an empty feed poll, a product search) through
Flask's test client on a small bench city (300 stores x 40 SKUs), one after another: the app's
CPU (this process's `time.process_time`, the least of 5 rounds), Python function calls (steady
whatever the neighbours do) and, on PostgreSQL, the backends' CPU (from /proc) per request.
`BENCH_PROFILE=location` (or `feed`, `search`) prints that route's cProfile on a CPU clock.
"""

import cProfile
import os
import pstats
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.engine import make_url

from service import create_app
from service.cities.models import City
from service.config import Settings
from service.db import Database, make_engine
from service.stores.models import Store
from tests.bench import _bench_city
from tests.bench._cpu import postgres_backends, process_cpu_s
from tests.bench.search import _query, _words
from tests.support.deliveries import make_couriers, point
from tests.support.tablets import store_token

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "1000"))
ROUNDS = 5
CALLS_OVER = 200
ACTORS = 200  # tablets and couriers, taken in turn
SECRET = "route-cpu"


def main() -> None:
    os.environ.setdefault("HD_TESTING", "1")
    _bench_city.each_engine("route_cpu", 300, 40, run)  # the cache other in-process harnesses share


def run(engine: str, url: str, _workdir: Path) -> dict:
    tablets, couriers = _seed(url)
    app = create_app(Settings(database_url=url, secret_key=SECRET, log_level="INFO"))
    client = app.test_client()
    routes = {
        "location": _locations(client, couriers),
        "feed": _polls(client, tablets),
        "search": _searches(client),
    }
    chosen = os.environ.get("BENCH_PROFILE")
    if chosen:
        _profile(routes[chosen])
        return {"benchmark": "route_cpu", "engine": engine, "profiled": chosen}
    database = make_url(url).database if engine == "postgresql" else None
    figures = {}
    for name, send in routes.items():
        figures.update(_measure(name, send, database))
    app.extensions["hourdelivery.db"].engine.dispose()
    return {"benchmark": "route_cpu", "engine": engine, "requests": REQUESTS, **figures}


def _seed(url: str) -> tuple[list, list]:
    now = datetime.now(UTC)
    engine = make_engine(url)
    with Database(engine).unit_of_work() as session:
        city = session.execute(select(City).where(City.code == "benchcity")).scalar_one()
        ids = session.scalars(
            select(Store.id).where(Store.city_id == city.id).order_by(Store.id).limit(ACTORS)
        ).all()
        session.execute(update(Store).where(Store.id.in_(ids)).values(intake_mode="tablet"))
        tablets = [store_token(session, store_id, now) for store_id in ids]
        rng = random.Random("route-cpu")
        offsets = [(rng.uniform(-8, 8), rng.uniform(-8, 8)) for _ in range(ACTORS)]
        made = make_couriers(session, city, offsets, now)
        couriers = [(t, *point(city, *o)) for (_, t), o in zip(made, offsets, strict=True)]
    engine.dispose()
    return tablets, couriers


def _locations(client, couriers):
    def send(n: int) -> int:
        token, lat, lon = couriers[n % len(couriers)]
        body = {"lat": lat + n * 1e-6, "lon": lon}
        headers = {"Authorization": f"Bearer {token}"}
        return client.put("/v1/courier/location", json=body, headers=headers).status_code

    return send


def _polls(client, tablets):
    cursors = {}

    def send(n: int) -> int:
        token = tablets[n % len(tablets)]
        headers = {"Authorization": f"Bearer {token}"}
        if token not in cursors:
            first = client.get("/v1/store/feed", headers=headers)
            cursors[token] = first.get_json()["cursor"]
        query = {"after": cursors[token], "wait": 0}
        return client.get("/v1/store/feed", query_string=query, headers=headers).status_code

    return send


def _searches(client):
    rng, words = random.Random("route-cpu-search"), _words()
    queries = [_query(rng, words, n) for n in range(2 * REQUESTS)]
    return lambda n: (
        client.get("/v1/products/search", query_string=queries[n % len(queries)]).status_code
    )


def _measure(name: str, send, database: str | None) -> dict:
    """Per request: the least app CPU of ROUNDS rounds (neighbours only ever add to it), the
    backends' CPU over all rounds, and the wall time."""
    for n in range(REQUESTS // 3):  # warm: caches, shelves, first cursors, heartbeats
        send(n)
    backends = postgres_backends(database) if database else []
    db_before = sum(process_cpu_s(pid) for pid in backends)
    began, rounds, statuses = time.perf_counter(), [], set()
    per_round = REQUESTS // ROUNDS
    for first in range(0, per_round * ROUNDS, per_round):
        cpu = time.process_time()
        statuses |= {send(n) for n in range(first, first + per_round)}
        rounds.append(1000 * (time.process_time() - cpu) / per_round)
    done = per_round * ROUNDS
    db_ms = 1000 * (sum(process_cpu_s(pid) for pid in backends) - db_before) / done
    return {
        f"{name}_app_cpu_ms": round(min(rounds), 3),
        f"{name}_db_cpu_ms": round(db_ms, 3),
        f"{name}_wall_ms": round(1000 * (time.perf_counter() - began) / done, 3),
        f"{name}_calls": _calls(send, done),
        f"{name}_statuses": sorted(statuses),
    }


def _calls(send, first: int) -> int:
    """Python function calls per request (cProfile's count): steady whatever the neighbours do."""
    profile = cProfile.Profile()
    profile.enable()
    for n in range(first, first + CALLS_OVER):
        send(n)
    profile.disable()
    return round(pstats.Stats(profile).total_calls / CALLS_OVER)


def _profile(send) -> None:
    for n in range(REQUESTS // 3):
        send(n)
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for n in range(REQUESTS):
        send(n)
    profile.disable()
    stats = pstats.Stats(profile, stream=sys.stderr)
    stats.sort_stats("tottime").print_stats(40)
    stats.sort_stats("cumulative").print_stats(60)


if __name__ == "__main__":
    main()
