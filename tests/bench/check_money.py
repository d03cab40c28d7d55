"""`hourdelivery check money` over the report benchmark's campaign (1,000,000 coupons,
300,000 orders with their lines, events and ledger): seconds per full check, in-process on
each engine, and how many differences it found there.

Run as `python -m tests.bench.check_money` (BENCH_SCALE=tiny: 10,000 coupons, 3,000 orders).
The data is generated once by set-based SQL and cached (tests/bench/_report_data.py),
consistent to the last row (payments, refunds and each order's event chain included), so the
script exits non-zero on any difference; the time is the figure.
"""

import statistics
import time

from sqlalchemy import func, select

from service.checks.service import CHECKS
from service.db import Database, make_engine
from service.orders.models import Order
from tests.bench._common import TINY, emit, engines
from tests.bench._report_data import cached_url

COUPONS, ORDERS = (10_000, 3_000) if TINY else (1_000_000, 300_000)
RUNS = 3


def measure(engine_kind: str) -> dict:
    database = Database(make_engine(cached_url(engine_kind, COUPONS, ORDERS)))
    per_check: dict[str, list[float]] = {check.__name__: [] for check in CHECKS}
    found: dict[str, int] = {}
    with database.unit_of_work(write=False) as session:
        orders = session.execute(select(func.count()).select_from(Order)).scalar_one()
        for _ in range(RUNS):
            for check in CHECKS:
                started = time.perf_counter()
                found[check.__name__] = len(check(session))
                per_check[check.__name__].append(time.perf_counter() - started)
    database.engine.dispose()
    medians = {name: statistics.median(times) for name, times in per_check.items()}
    return {
        "engine": engine_kind,
        "orders": orders,
        "check_s": round(sum(medians.values()), 2),
        **{f"{name.removesuffix('_differences')}_s": round(s, 3) for name, s in medians.items()},
        "differences": sum(found.values()),
        "differences_by_check": {k.removesuffix("_differences"): v for k, v in found.items() if v},
    }


if __name__ == "__main__":
    for kind in engines():
        figures = measure(kind)
        emit(figures)
        if figures["differences"]:  # the generated campaign is consistent: a difference is a bug
            raise SystemExit(f"check money found differences: {figures['differences_by_check']}")
