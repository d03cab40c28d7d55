"""Benchmark: the shipped Changsha 20:00 scenario replayed through gunicorn (2 workers) and
the scheduler on a simulated clock, by `hourdelivery simulate run` in its own process.

Full scale: 5,000 consumers, 300 stores in play, 200 couriers, 75 business minutes at 15×
(5 minutes of wall time at 15×). BENCH_SCALE=tiny plays the suite's short scenario (120×).
Prints one JSON line per engine; the simulator's own CPU is reported beside the figures.
"""

from service.simulate.scenario import load_scenario
from tests.bench._common import TINY, Bench, each_engine
from tests.support.live import start_server
from tests.support.simulation import SCENARIO, START, simulate, simulated_env, start_scheduler

FULL_SPEED = 15  # 75 business minutes in 5 real ones
FULL = ("--consumers", "5000", "--stores", "300", "--couriers", "200", "--quota", "2000",
        "--speed", str(FULL_SPEED))  # fmt: skip


def main() -> None:
    each_engine(run)


def run(bench: Bench) -> dict:
    default = load_scenario()
    speed, start = (120, START) if TINY else (FULL_SPEED, default.start.isoformat())
    # Full scale: 40 s to boot and prepare 5,000 consumers before the start, and room for
    # every actor's connection (gunicorn's default bounds a worker to 32 clients).
    sim_env = simulated_env(speed, start, lead_s=0 if TINY else 40)
    bench.server = start_server(bench.url, bench.workdir,
                                env={**sim_env, "HD_WORKER_CONNECTIONS": "400"})  # fmt: skip
    scheduler = start_scheduler(bench.url, sim_env, bench.workdir / "scheduler.log")
    try:
        scenario, args = (SCENARIO, ()) if TINY else (None, FULL)
        code, report, output = simulate(bench.server, sim_env, bench.workdir / "run", scenario,
                                        args)  # fmt: skip
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=60)
    if not report:
        raise SystemExit(f"peak on {bench.engine}: no report\n{output[-3000:]}")
    return figures(bench.engine, code, report, 48 if TINY else default.duration_minutes)


def figures(engine: str, code: int, report: dict, sim_minutes: float) -> dict:
    """The JSON line: the issue's fields first, then what explains them."""
    latency = report["latency_ms"]
    return {
        "benchmark": "peak", "engine": engine, "exit_code": code,
        "orders_placed": report["orders_placed"], "orders_delivered": report["orders_delivered"],
        "orders_cancelled": report["orders_cancelled"], "on_time_rate": report["on_time_rate"],
        "p99_order_ms": latency.get("POST /v1/orders", {}).get("p99_ms"),
        "p99_claim_ms": latency.get("POST /v1/campaigns/{id}/claim", {}).get("p99_ms"),
        "server_5xx": report["server_5xx"], "reconciled": report["reconciled"],
        "sim_minutes": sim_minutes, "wall_s": report["wall_s"],
        "requests": report["requests"], "simulator_cpu_s": report["simulator_cpu_s"],
        "claims_issued": report["claims"]["issued"], "sold_out_at": report["claims"]["sold_out_at"],
        "courier_utilisation": report["courier_utilisation"],
    }  # fmt: skip


if __name__ == "__main__":
    main()
