"""Campaign report over 1,000,000 coupons and 300,000 orders: the whole campaign by day,
reconciliation included, in-process on each engine; and the CSV by hour, rows per second.

Run as `python -m tests.bench.report` (BENCH_SCALE=tiny: 10,000 coupons, 3,000 orders).
The data is generated once by set-based SQL and cached (tests/bench/_report_data.py).
"""

import statistics
import time
from functools import partial

from sqlalchemy import func, select, text

from service.campaigns.models import Campaign, Coupon
from service.db import Database, make_engine
from service.people.models import Operator
from service.reports import csv_export
from service.reports.service import campaign_report
from tests.bench._common import TINY, emit, engines
from tests.bench._cpu import process_cpu_s
from tests.bench._report_data import cached_url

COUPONS, ORDERS = (10_000, 3_000) if TINY else (1_000_000, 300_000)
RUNS = 3 if TINY else 5


def measure(engine_kind: str) -> dict:
    built = time.perf_counter()
    database = Database(make_engine(cached_url(engine_kind, COUPONS, ORDERS)))
    setup_s = time.perf_counter() - built
    platform = Operator(id=0, name="bench", city_id=None)  # a platform operator sees every city
    with database.unit_of_work(write=False) as session:
        campaign_id = session.execute(
            select(Campaign.id).where(Campaign.name == "百万券")
        ).scalar_one()
        rows = session.execute(
            select(func.count()).select_from(Coupon).where(Coupon.campaign_id == campaign_id)
        ).scalar_one()
        whole_run = partial(
            campaign_report,
            session=session,
            operator=platform,
            campaign_id=campaign_id,
            first=None,
            last=None,
        )
        timings, report = [], None
        for _ in range(RUNS):
            started = time.perf_counter()
            report = whole_run(group="day")
            timings.append(time.perf_counter() - started)
        cpu_ms = report_cpu_ms(session, partial(whole_run, group="day"))
        started = time.perf_counter()
        hourly = whole_run(group="hour")
        header, lines = csv_export.campaign_rows(hourly)
        written = sum(1 for _ in csv_export.stream(header, lines)) - 1
        csv_s = time.perf_counter() - started
    database.engine.dispose()
    if not report["reconciled"]:
        raise SystemExit(f"report not reconciled: {report['differences']}")
    return {
        "engine": engine_kind,
        "rows": rows,
        "orders": ORDERS,
        "days": len(report["rows"]),
        "report_ms": round(statistics.median(timings) * 1000, 1),
        "report_ms_min": round(min(timings) * 1000, 1),
        "report_cpu_ms": cpu_ms,
        "reconciled": report["reconciled"],
        "csv_rows": written,
        "csv_rows_per_s": round(written / csv_s, 1),
        "setup_s": round(setup_s, 1),
    }


def report_cpu_ms(session, run) -> float:
    """CPU of one report, the steady figure on a shared machine: this process's on SQLite; on
    PostgreSQL its backend's, with parallel workers off (their CPU is not the backend's)."""
    if session.get_bind().dialect.name != "postgresql":
        started = time.process_time()
        run()
        return round((time.process_time() - started) * 1000, 1)
    session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    backend = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    started = process_cpu_s(backend)
    run()
    spent = process_cpu_s(backend) - started
    session.execute(text("RESET max_parallel_workers_per_gather"))
    return round(spent * 1000, 1)


def main() -> None:
    for engine_kind in engines():
        emit(measure(engine_kind))


if __name__ == "__main__":
    main()
