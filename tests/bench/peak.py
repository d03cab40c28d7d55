"""Benchmark: the shipped Changsha 20:00 scenario replayed through gunicorn (2 workers) and
the scheduler on a simulated clock, by `hourdelivery simulate run` in its own process.

Full scale: 5,000 consumers, 300 stores in play, 200 couriers, the hour of peak at 15× (4
minutes of wall time), then the drain (orders in flight finished, at most 60 business minutes).
BENCH_SCALE=quarter plays a quarter of the actors at the same speed; BENCH_SCALE=tiny the
suite's short scenario (120×). Prints one JSON line per engine with the CPU every process of
the run spent (gunicorn workers, scheduler, PostgreSQL backends, the simulator itself) and the
machine's load average, so a shared machine's figures can be read for what they are.
"""

import os
import time

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from service.simulate.scenario import load_scenario
from tests.bench._common import TINY, Bench, each_engine
from tests.bench._cpu import CpuSampler, postgres_backends
from tests.support.live import start_server
from tests.support.simulation import (
    MINUTES,
    SCENARIO,
    START,
    simulate,
    simulated_env,
    start_scheduler,
)

FULL_SPEED = 15  # the hour in 4 real minutes
SHARE = 0.25 if os.environ.get("BENCH_SCALE") == "quarter" else 1.0
FULL = {"consumers": 5000, "stores": 300, "couriers": 200, "quota": 2000}
# Consumers' visits under way at once (PEAK_VISITS_AT_ONCE; the scenario's 32 by default).
VISITS = os.environ.get("PEAK_VISITS_AT_ONCE")


def main() -> None:
    os.environ.setdefault("HD_TESTING", "1")  # the sandbox takes the consumers' payments
    each_engine(run)


def run(bench: Bench) -> dict:
    default = load_scenario()
    speed, start = (120, START) if TINY else (FULL_SPEED, default.start.isoformat())
    counts = {k: round(v * SHARE) for k, v in FULL.items()}
    # 60 s (tiny: 30) to boot and prepare 5,000 consumers before the start on a loaded machine;
    # room for every actor's connection (gunicorn's default bounds a worker to 32 clients) and
    # a parked poll for every tablet in either worker (a poll finding no slot answers at once,
    # and re-polls).
    sim_env = simulated_env(speed, start, lead_s=30 if TINY else 60)
    # This run's own sandbox books: the default file in the temp folder is shared by every run
    # on the machine, so the second engine's statement listed the first engine's trades too.
    sim_env["HD_PAY_SANDBOX_DB"] = str(bench.workdir / "sandbox.sqlite3")
    waiters = str(max(64, counts["stores"] + 16))
    bench.server = start_server(
        bench.url,
        bench.workdir,
        env={**sim_env, "HD_WORKER_CONNECTIONS": "400", "HD_FEED_WAITERS": waiters},
    )
    scheduler = start_scheduler(bench.url, sim_env, bench.workdir / "scheduler.log")
    args = [] if TINY else [f"--{k}={v}" for k, v in counts.items()] + [f"--speed={speed}"]
    args += [f"--visits-at-once={VISITS}"] if VISITS else []
    load0, began = os.getloadavg(), time.time()
    try:
        with CpuSampler(_groups(bench, scheduler), interval_s=1.0) as sampler:
            code, report, output = simulate(
                bench.server,
                sim_env,
                bench.workdir / "run",
                SCENARIO if TINY else None,
                tuple(args),
            )
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=60)
    if not report:
        raise SystemExit(f"peak on {bench.engine}: no report\n{output[-3000:]}")
    cpu = {
        f"{g}_cpu_s": round(sampler.used_ms(g, began, time.time()) / 1000, 1)
        for g in sampler.groups
    }
    cpu["workers_cpu_ms_per_request"] = round(
        cpu["workers_cpu_s"] * 1000 / max(report["requests"], 1), 2
    )
    line = figures(bench.engine, code, report, MINUTES if TINY else default.duration_minutes)
    line["open_orders_trace"] = trace(bench.url, report["drain"].get("open_orders") or [])
    return line | cpu | {"load_average": [round(v, 1) for v in (*load0, *os.getloadavg())]}


def trace(url: str, order_ids: list[int]) -> list[dict]:
    """Where each order still open after the drain stands, read from the database before it
    is dropped: its state, its store's intake and pause, its delivery, its last events."""
    if not order_ids:
        return []
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [_where(conn, order_id) for order_id in order_ids]
    finally:
        engine.dispose()


def _where(conn, order_id: int) -> dict:
    row = conn.execute(
        text(
            "SELECT o.status, o.store_id, s.intake_mode, s.paused, s.flagged_reason, d.status,"
            " d.courier_id, d.passed_courier_ids FROM orders o JOIN stores s ON s.id = o.store_id"
            " LEFT JOIN deliveries d ON d.order_id = o.id WHERE o.id = :id"
        ),
        {"id": order_id},
    ).one()
    events = conn.execute(
        text(
            "SELECT kind, to_status, actor_role, at FROM order_events WHERE order_id = :id"
            " ORDER BY id DESC LIMIT 4"
        ),
        {"id": order_id},
    ).all()
    keys = (
        "status",
        "store_id",
        "intake_mode",
        "paused",
        "flagged",
        "delivery",
        "courier_id",
        "passed",
    )
    return {
        "order_id": order_id,
        **dict(zip(keys, [str(v) for v in row], strict=True)),
        "last_events": [[str(v) for v in e] for e in events],
    }


def _groups(bench: Bench, scheduler) -> dict:
    workers = bench.server.worker_pids()
    groups = {"workers": lambda: workers, "scheduler": lambda: [scheduler.pid]}
    url = make_url(bench.url)
    if url.get_backend_name() == "postgresql":
        groups["db"] = lambda: postgres_backends(url.database)
    return groups


def figures(engine: str, code: int, report: dict, sim_minutes: float) -> dict:
    """The JSON line: the issue's fields first, then what explains them."""
    latency, drain = report["latency_ms"], report["drain"]
    return {
        "benchmark": "peak",
        "engine": engine,
        "scale": "tiny" if TINY else SHARE,
        "exit_code": code,
        "orders_placed": report["orders_placed"],
        "orders_delivered": report["orders_delivered"],
        "orders_cancelled": report["orders_cancelled"],
        "on_time_rate": report["on_time_rate"],
        "p99_order_ms": latency.get("POST /v1/orders", {}).get("p99_ms"),
        "p99_claim_ms": latency.get("POST /v1/campaigns/{id}/claim", {}).get("p99_ms"),
        "server_5xx": report["server_5xx"],
        "reconciled": report["reconciled"],
        "sim_minutes": sim_minutes,
        "wall_s": report["wall_s"],
        "drain_minutes": drain["minutes"],
        "drain_wall_s": drain["wall_s"],
        "open_at_end": drain["open_at_end"],
        "visits": report["visits"],
        "visits_at_once": int(VISITS or 32),
        "visits_begun": sum(report["visits"].values()) - report["visits"].get("never_began", 0),
        "requests": report["requests"],
        "no_answer": report["no_answer"],
        "hour_per_s": report["hour_per_s"],
        "simulator_cpu_s": report["simulator_cpu_s"],
        "simulator_cpu_ms_per_request": round(
            report["simulator_cpu_s"] * 1000 / max(report["requests"], 1), 2
        ),
        "claims_issued": report["claims"]["issued"],
        "sold_out_at": report["claims"]["sold_out_at"],
        "courier_utilisation": report["courier_utilisation"],
        "courier_minutes_per_delivery": report["courier_minutes_per_delivery"],
        "payments": {k: v for k, v in report["payments"].items() if k != "reconciliation"},
        "payment_reconciliation": {
            a: r.get("status") for a, r in (report["payments"]["reconciliation"] or {}).items()
        },
    }


if __name__ == "__main__":
    main()
