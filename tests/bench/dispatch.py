"""Benchmark: a dispatch tick (2,000 waiting orders, 1,000 online couriers, one city) and the
courier location write path over HTTP beside /v1/_ping.

The city comes from the cached bench-city generator (its stores); the orders, deliveries and
couriers are bulk-inserted per run (a second or two). The batch (min-cost) and the greedy
baseline (oldest order first takes the nearest free courier) run on the same snapshot and the
same plausible pairs. One JSON line per engine. BENCH_SCALE=tiny runs a small city (CI smoke).
"""

import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from service.cities.models import City
from service.db import Database, make_engine
from service.deliveries import dispatch
from service.deliveries.models import Delivery
from service.orders.models import Order
from service.stores.models import Store
from tests.bench._bench_city import cached_copy, drop_copy, point_in_disc
from tests.bench._common import TINY, beside_ping, emit, engines
from tests.bench._loadgen import json_call
from tests.support.deliveries import make_couriers
from tests.support.factories import make_consumers

STORES, SKUS = 400, 20  # the stores are what matters here; a small catalogue keeps it quick
ORDERS, COURIERS = (200, 100) if TINY else (2_000, 1_000)
UPDATES, PINGS = (600, 600) if TINY else (10_000, 10_000)
CLIENTS = 64
PICKUP_RADIUS_KM = 30.0  # the bench disc is 28 km across


def main() -> None:
    for engine in engines():
        workdir = Path(tempfile.mkdtemp(prefix=f"bench-dispatch-{engine}-"))
        url = cached_copy(engine, STORES, SKUS, workdir)
        try:
            emit(run(engine, url, workdir))
        finally:
            drop_copy(url)


def run(engine: str, url: str, workdir: Path) -> dict:
    sa_engine = make_engine(url)
    database = Database(sa_engine)
    now = datetime.now(UTC)
    city_id, tokens = _world(database, now)
    with database.unit_of_work(write=False) as session:
        snap = dispatch.read_snapshot(session, city_id, now)
        radius = session.get(City, city_id).pickup_radius_km
    began = time.perf_counter()
    batch = dispatch.batch_pairs(snap, radius)
    solve_s = time.perf_counter() - began
    greedy = dispatch.greedy_pairs(snap, radius)
    batch_km, greedy_km = (dispatch.distance_total(snap, p) for p in (batch, greedy))
    began = time.perf_counter()
    with database.unit_of_work() as session:
        offered = dispatch.tick(session=session, city_id=city_id, now=now)
    tick_s = time.perf_counter() - began
    sa_engine.dispose()
    return {
        "benchmark": "dispatch",
        "engine": engine,
        "orders": ORDERS,
        "couriers": COURIERS,
        "offered": offered,
        "tick_s": round(tick_s, 3),
        "solve_s": round(solve_s, 3),
        "batch_pairs": len(batch),
        "greedy_pairs": len(greedy),
        "batch_km": round(batch_km, 1),
        "greedy_km": round(greedy_km, 1),
        "km_saving_pct": round(100 * (greedy_km - batch_km) / greedy_km, 1),
        **_over_http(url, workdir, tokens),
    }


def _world(database: Database, now: datetime) -> tuple[int, list[str]]:
    """ACCEPTED orders at random bench-city stores over the last 20 minutes, and couriers."""
    rng = random.Random("dispatch")
    with database.unit_of_work() as session:
        city = session.execute(select(City).where(City.code == "benchcity")).scalar_one()
        # Every pair plausible, so both methods assign the same number of pairs (at the
        # default 5 km the greedy baseline strands orders the batch serves).
        city.pickup_radius_km = PICKUP_RADIUS_KM
        stores = session.execute(select(Store.id).where(Store.city_id == city.id)).scalars().all()
        ((consumer_id, _),) = make_consumers(session, 1, now)
        orders = []
        for n in range(ORDERS):
            lat, lon = point_in_disc(rng, 14.0)
            placed = now - timedelta(seconds=rng.uniform(0, 1200))
            orders.append(
                {
                    "city_id": city.id,
                    "consumer_id": consumer_id,
                    "store_id": rng.choice(stores),
                    "status": "ACCEPTED",
                    "payment_method": "wechat",
                    "address": f"基准路{n}号",
                    "lat": lat,
                    "lon": lon,
                    "subtotal_fen": 5000,
                    "payable_fen": 5000,
                    "handoff_code": f"{n % 10000:04d}",
                    "placed_at": placed,
                    "promised_at": placed + timedelta(hours=1),
                    "eta_at": placed,
                    "updated_at": now,
                }
            )
        ids = session.execute(insert(Order).returning(Order.id, Order.store_id), orders).all()
        session.execute(
            insert(Delivery),
            [
                {
                    "order_id": oid,
                    "city_id": city.id,
                    "store_id": sid,
                    "status": "WAITING",
                    "share_token": f"bench{oid:038d}",
                    "passed_courier_ids": [],
                    "created_at": now,
                }
                for oid, sid in ids
            ],
        )
        offsets = [_offset(rng) for _ in range(COURIERS)]
        couriers = make_couriers(session, city, offsets, now)
    return city.id, [token for _, token in couriers]


def _offset(rng: random.Random) -> tuple[float, float]:
    from service.geo import KM_PER_DEGREE_LAT
    from tests.bench._bench_city import CENTRE

    lat, lon = point_in_disc(rng, 14.0)
    north = (lat - CENTRE[0]) * KM_PER_DEGREE_LAT
    east = (lon - CENTRE[1]) * KM_PER_DEGREE_LAT * 0.855  # cos(31.2 degrees)
    return north, east


def _over_http(url: str, workdir: Path, tokens: list[str]) -> dict:
    rng = random.Random("moves")
    calls = []
    for n in range(UPDATES):
        lat, lon = point_in_disc(rng, 14.0)
        body = {"lat": lat, "lon": lon, "accuracy_m": 10, "heading": 90}
        calls.append(json_call("PUT", "/v1/courier/location", body, tokens[n % len(tokens)]))
    return beside_ping(
        url,
        workdir,
        calls,
        name="location_updates",
        ok=204,
        pings=PINGS,
        clients=CLIENTS,
        share_key="http_ok_share",
        ratio_key="location_ratio_to_ceiling",
        cpu_prefix="location_",
    )


if __name__ == "__main__":
    main()
