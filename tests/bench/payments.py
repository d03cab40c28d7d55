"""Benchmark: payments. One JSON line per engine (BENCH_SCALE=tiny: a quick smoke).

- order_cpu_ms: CPU of this process per order through checkout (the order's transaction, the
  sandbox asked, its answer stored); notifications_per_s and notification_cpu_ms: signed
  sandbox notifications verified and settled one after another (the charge, the placement);
- close_unpaid_s: the close_unpaid job over that many unpaid orders past pay-by;
- reconcile_s: one day's statement of `statement_lines` lines matched set-based and stored;
  reconcile_speedup_vs_orm: against one indexed ORM query per statement line, measured on a
  sample of lines in the same run and scaled to the statement (it is linear in lines).
"""

import os
import secrets
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select
from sqlmodel import col

from service.config import Settings
from service.db import Database, make_engine
from service.orders.checkout import checkout
from service.orders.models import Order
from service.orders.schemas import OrderIn
from service.payments import accounts, reconcile, settle
from service.payments.models import PAID, Payment
from service.payments.providers import StatementLine
from tests.bench._common import TINY, each_engine
from tests.support.factories import TEST_CENTRE, make_city, make_consumers, make_store
from tests.support.payments import run as run_job

ORDERS, UNPAID, LINES, ORM_SAMPLE = (40, 100, 5_000, 500) if TINY else (400, 10_000, 200_000, 5_000)
HOME = {"lat": TEST_CENTRE[0], "lon": TEST_CENTRE[1], "address": "测试路100号"}


def main() -> None:
    os.environ.setdefault("HD_TESTING", "1")  # the sandbox is the bench's provider
    each_engine(run)


def run(bench) -> dict:
    accounts.configure(Settings(database_url=bench.url, testing=True))
    database = Database(make_engine(bench.url))
    now = datetime.now(UTC)
    people = _shop(database, now, ORDERS + UNPAID)
    order_cpu, placed = _orders(database, people[:ORDERS], now)
    notify_s, notify_cpu = _notifications(database, placed, now)
    for n, (consumer_id, _) in enumerate(people[ORDERS:]):  # left unpaid
        _place(database, consumer_id, f"u{n}", now)
    started = time.perf_counter()
    closed = run_job(database, "close_unpaid", now + timedelta(minutes=16))
    close_s = time.perf_counter() - started
    reconcile_s, orm_s = _statement(database, now)
    database.engine.dispose()
    return {
        "benchmark": "payments",
        "engine": bench.engine,
        "notifications_per_s": round(len(placed) / notify_s, 1),
        "notification_cpu_ms": round(notify_cpu / len(placed) * 1000, 2),
        "order_cpu_ms": round(order_cpu / ORDERS * 1000, 2),
        "close_unpaid_orders": closed.changed,
        "close_unpaid_s": round(close_s, 2),
        "statement_lines": LINES,
        "reconcile_s": round(reconcile_s, 2),
        "orm_sample_lines": ORM_SAMPLE,
        "reconcile_speedup_vs_orm": round(orm_s / reconcile_s, 1),
    }


def _shop(database: Database, now: datetime, consumers: int) -> list[tuple[int, str]]:
    with database.unit_of_work() as session:
        city = make_city(session)
        make_store(session, city, 1.0, max_open_orders=10**6, stock={"BAK-0001": (10**7, 4800)})
        return make_consumers(session, consumers, now)


def _place(database: Database, consumer_id: int, key: str, now: datetime) -> dict:
    body = OrderIn(items=[{"sku": "BAK-0001", "qty": 1}], payment_method="wechat", **HOME)
    status, answer = checkout(database, consumer_id=consumer_id, order_in=body, key=key, now=now)
    assert status == 201, answer
    return answer


def _orders(database: Database, people, now: datetime) -> tuple[float, list[dict]]:
    started = time.process_time()
    placed = [_place(database, cid, f"o{n}", now) for n, (cid, _) in enumerate(people)]
    return time.process_time() - started, placed


def _notifications(database: Database, placed: list[dict], now: datetime) -> tuple[float, float]:
    sandbox = accounts.provider("sandbox")
    bodies = []
    for answer in placed:
        trade = answer["payment"]["pay_url"].rsplit("/", 1)[1]
        bodies.append(sandbox.pay(trade, now))
    wall, cpu = time.perf_counter(), time.process_time()
    for body in bodies:
        with database.unit_of_work() as session:
            answer = settle.receive(
                session, kind="sandbox", headers=sandbox.headers_for(body), body=body, now=now
            )
            assert answer.status == 200
    return time.perf_counter() - wall, time.process_time() - cpu


def _statement(database: Database, now: datetime) -> tuple[float, float]:
    """(set-based seconds, ORM line-by-line seconds scaled to the statement)."""
    lines = _bench_day(database, now)
    day = now.astimezone(reconcile.CHINA).date()
    started = time.perf_counter()
    with database.unit_of_work() as session:
        city_id = session.execute(select(Order.city_id).limit(1)).scalar()
        reconcile.store(session, account="bench", day=day, city_id=city_id, lines=lines, now=now)
    set_based = time.perf_counter() - started
    started = time.perf_counter()
    with database.unit_of_work(write=False) as session:
        for line in lines[:ORM_SAMPLE]:  # the baseline: one indexed query per statement line
            payment = session.execute(
                select(Payment).where(col(Payment.out_trade_no) == line.out_trade_no)
            ).scalar()
            assert payment is None or payment.amount_fen >= 0
    return set_based, (time.perf_counter() - started) * LINES / ORM_SAMPLE


def _bench_day(database: Database, now: datetime) -> list[StatementLine]:
    """LINES paid payments of account `bench` (on orders copied from one real order), and the
    provider's statement of them with one line missing each side and one amount differing."""
    with database.unit_of_work() as session:
        model = session.execute(select(Order).limit(1)).scalar().model_dump(exclude={"id"})
        numbers = [f"B{secrets.token_hex(15)}" for _ in range(LINES)]
        for start in range(0, LINES, 20_000):
            chunk = numbers[start : start + 20_000]
            ids = (
                session.execute(insert(Order).returning(Order.id), [model] * len(chunk))
                .scalars()
                .all()
            )
            session.execute(
                insert(Payment),
                [
                    {
                        "city_id": model["city_id"],
                        "order_id": oid,
                        "consumer_id": model["consumer_id"],
                        "provider": "sandbox",
                        "account": "bench",
                        "method": "wechat",
                        "out_trade_no": no,
                        "amount_fen": 4800,
                        "status": PAID,
                        "client_params": {},
                        "provider_trade_no": "",
                        "pay_by": now,
                        "created_at": now,
                        "paid_at": now,
                    }
                    for oid, no in zip(ids, chunk, strict=True)
                ],
            )
    lines = [StatementLine("payment", no, 4800, "", now) for no in numbers[1:]]
    lines[0] = StatementLine("payment", lines[0].out_trade_no, 4799, "", now)
    lines.append(StatementLine("payment", "B" + "0" * 30, 100, "", now))
    return lines


if __name__ == "__main__":
    main()
