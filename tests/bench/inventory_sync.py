"""Benchmark: inventory sync of 1,000 stores x 1,000 SKUs (1M rows) from generated CSV feeds.

The feeds repeat the stock the bench city holds but for a changed share of rows
(BENCH_SYNC_CHANGED, default 0.2; `rows_changed` sums the SyncRuns' rows_changed, the rows
the sync rewrote), as a store's
feed does between two syncs; BENCH_SYNC_CHANGED=1 measures the first sync of a new store.

The sync runs through the real path (`hourdelivery sync --city benchcity`: the csv adapter,
the job runner, the bulk upsert) in its own process; the figure is rows applied (summed from
the SyncRun rows) per second of the sync as that process times it (its start-up excluded;
`sync_process_s` includes it). The baseline applies a sample of the same
feeds with the ORM (per row: get by store and product, set the attributes; a commit per
store). Orders are placed in-process on the same database while the sync process runs and
while it does not. On this shared machine wall-clock rates swing with the neighbours' load, so
the line also carries the CPU the sync process and the PostgreSQL backends spent
(`rows_per_cpu_s`). One JSON line per engine; BENCH_SCALE=tiny for a CI smoke run.
"""

import contextlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, text
from sqlalchemy.engine import make_url
from sqlmodel import select

from service.catalog.models import Product, StoreStock
from service.cities.models import City
from service.db import Database, make_engine
from service.orders.placement import place_order
from service.orders.schemas import OrderIn
from service.stores.models import Store
from service.sync.models import SyncRun
from store_adapters import adapter_for
from tests.bench._bench_city import _cache_dir, cache_key, cached_copy, drop_copy, point_in_disc
from tests.bench._common import TINY, emit, engines
from tests.bench._cpu import CpuSampler, postgres_backends
from tests.support.factories import make_consumers

STORES, SKUS = (40, 100) if TINY else (1_000, 1_000)
ORM_SAMPLE = 4 if TINY else 20  # stores the ORM baseline applies (it is slow)
ORDERS = 30 if TINY else 200  # in-process orders, idle and during the sync
FEED_VERSION = 2  # 2: feeds repeat the stored stock but for a changed share of rows
# Share of a feed's rows whose on_hand (and for a tenth of them the price) differs from what
# the store's stock holds: shelves move between two syncs, but most do not.
CHANGED_SHARE = float(os.environ.get("BENCH_SYNC_CHANGED", "0.2"))


def main() -> None:
    failed, feeds = False, None
    for engine in engines():
        workdir = Path(tempfile.mkdtemp(prefix=f"bench-sync-{engine}-"))
        url = cached_copy(engine, STORES, SKUS, workdir)
        try:
            feeds = feeds or _feeds(url)
            figures = run(engine, url, feeds, workdir)
            emit(figures)
            failed |= figures["rows"] != STORES * SKUS
        finally:
            drop_copy(url)
    if failed:
        sys.exit("rows applied differ from rows generated")


def run(engine: str, url: str, feeds: Path, workdir: Path) -> dict:
    sa_engine = make_engine(url)
    database = Database(sa_engine)
    store_ids = _point_stores_at_feeds(database, feeds)
    people = _people(database, 3 * ORDERS)
    sync: subprocess.Popen | None = None
    groups = {"sync": lambda: [sync.pid] if sync else []}
    if engine == "postgresql":
        groups["db"] = lambda: postgres_backends(make_url(url).database)
    # The samplers run in every phase: their CPU (reading /proc, polling pg_stat_activity)
    # would otherwise count against the sync alone.
    with CpuSampler(groups) as cpu, _lock_waits(engine, url):
        idle = _orders(database, people[:ORDERS])
    began = time.perf_counter()
    sync = _start_sync(url, workdir)
    with CpuSampler(groups) as cpu, _lock_waits(engine, url) as waits:
        during = _orders(database, people[ORDERS : 2 * ORDERS], until=sync)
        sync.wait()
        ended = time.time()
    process_s = time.perf_counter() - began
    # Idle again after the sync: the neighbours' load on a shared machine moves minute by
    # minute, so an idle figure on each side of the sync brackets it.
    with CpuSampler(groups), _lock_waits(engine, url):
        after = _orders(database, people[2 * ORDERS :])
    (rows, changed), bulk_s = _rows_applied(database), _sync_seconds(workdir)
    # CPU of the sync's own time (its last bulk_s seconds): the process's start-up left out
    sync_cpu_s = cpu.used_ms("sync", ended - bulk_s, ended) / 1000
    db_cpu_s = cpu.used_ms("db", ended - bulk_s, ended) / 1000 if "db" in groups else 0.0
    orm_rows, orm_s = _orm_baseline(database, store_ids[:ORM_SAMPLE], feeds)
    sa_engine.dispose()
    bulk_rate, orm_rate = rows / bulk_s, orm_rows / orm_s
    return {
        "benchmark": "inventory_sync",
        "engine": engine,
        "stores": STORES,
        "skus": SKUS,
        "rows": rows,
        "changed_share": CHANGED_SHARE,
        "rows_changed": changed,
        "sync_exit": sync.returncode,
        "sync_s": round(bulk_s, 2),
        "sync_process_s": round(process_s, 2),
        "bulk_rows_per_s": round(bulk_rate),
        "orm_rows_per_s": round(orm_rate),
        "orm_sample_rows": orm_rows,
        "speedup": round(bulk_rate / orm_rate, 1),
        "sync_cpu_s": round(sync_cpu_s, 2),
        "db_cpu_s_during_sync": round(db_cpu_s, 2),
        # a tiny sync can end between two 0.1 s samples: no CPU seen, no figure
        "rows_per_cpu_s": round(rows / (sync_cpu_s + db_cpu_s)) if sync_cpu_s else None,
        "sync_cpu_us_per_row": round(sync_cpu_s * 1e6 / rows, 2),
        "db_cpu_us_per_row": round(db_cpu_s * 1e6 / rows, 2),
        "order_p50_ms_idle": _p50_ms(idle),
        "order_p50_ms_during_sync": _p50_ms(during),
        "order_p50_ms_idle_after": _p50_ms(after),
        "orders_during_sync": len(during),
        "order_split_ms_idle": _split_ms(idle),
        "order_split_ms_during_sync": _split_ms(during),
        "lock_wait_share_during_sync": getattr(waits, "share", None),
    }


def _feeds(url: str) -> Path:
    """One CSV per bench store (by its number): the stock the bench city holds, with
    CHANGED_SHARE of the rows changed; generated once and cached."""
    key = f"{cache_key(STORES, SKUS)}_{CHANGED_SHARE}"
    folder = _cache_dir() / f"inventory_sync_feeds_v{FEED_VERSION}_{key}"
    if folder.exists():
        return folder
    partial = folder.with_suffix(".partial")
    partial.mkdir(parents=True, exist_ok=True)
    rng = random.Random("sync-feeds")
    for number, rows in _stored_stock(url).items():
        lines = ["sku,on_hand,price_fen"]
        for sku, on_hand, price in rows:
            if rng.random() < CHANGED_SHARE:
                on_hand = (on_hand + rng.randint(1, 500)) % 1001  # never the same number
                price = rng.randrange(500, 30_000, 10) if rng.random() < 0.1 else price
            lines.append(f"{sku},{on_hand},{price}")
        lines.append(f"#rows={len(rows)}")
        (partial / f"{number}.csv").write_text("\n".join(lines) + "\n")
    os.replace(partial, folder)
    return folder


def _stored_stock(url: str) -> dict[str, list[tuple[str, int, int]]]:
    """{store number: [(sku, on_hand, price_fen)]} of the bench city as built."""
    database, stock = Database(make_engine(url)), {}
    with database.unit_of_work(write=False) as session:
        rows = session.exec(
            select(Store.name, Product.sku, StoreStock.on_hand, StoreStock.price_fen)
            .join(StoreStock, StoreStock.store_id == Store.id)
            .join(Product, Product.id == StoreStock.product_id)
            .join(City, City.id == Store.city_id)
            .where(City.code == "benchcity")
            .order_by(Store.name, Product.sku)
        )
        for name, sku, on_hand, price in rows:
            stock.setdefault(name.rsplit(" ", 1)[1], []).append((sku, on_hand, price))
    database.engine.dispose()
    return stock


def _point_stores_at_feeds(database: Database, feeds: Path) -> list[int]:
    with database.unit_of_work() as session:
        city_id = session.exec(select(City.id).where(City.code == "benchcity")).one()
        stores = session.exec(select(Store).where(Store.city_id == city_id)).all()
        for store in stores:
            number = store.name.rsplit(" ", 1)[1]
            store.adapter_kind = "csv"
            store.adapter_settings = {"path": str(feeds / f"{number}.csv")}
            session.add(store)
        return sorted(store.id for store in stores)


def _start_sync(url: str, workdir: Path) -> subprocess.Popen:
    command = [str(Path(sys.executable).with_name("hourdelivery")), "sync", "--city", "benchcity"]
    log = (workdir / "sync.log").open("wb")
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def _sync_seconds(workdir: Path) -> float:
    """The sync's own time, from its summary line (the process's start-up left out)."""
    summary = (workdir / "sync.log").read_text().rsplit(" rows applied in ", 1)
    if len(summary) != 2:
        sys.exit(f"the sync process failed:\n{summary[0][-2000:]}")
    return float(summary[1].split()[0])


def _people(database: Database, count: int) -> list[int]:
    with database.unit_of_work() as session:
        return [consumer_id for consumer_id, _ in make_consumers(session, count, datetime.now(UTC))]


def _orders(database: Database, people: list[int], until=None) -> list[tuple[float, ...]]:
    """Place orders one after another (all of them, or while `until` runs). Per order, in
    seconds: its latency, then from the scheduler's accounting (/proc/.../schedstat) the CPU
    and the run-queue wait (ready, but no core free) of this thread and of its PostgreSQL
    backend; what is left of the latency waited for a lock, the disk or the network."""
    rng, latencies = random.Random("sync-orders"), []
    for consumer_id in people:
        if until is not None and until.poll() is not None:
            break
        lat, lon = point_in_disc(rng, 14.0)
        body = {
            "items": [{"sku": f"BEN-{rng.randint(1, SKUS):04d}", "qty": 1}],
            "lat": lat,
            "lon": lon,
            "address": "基准路1号",
            "payment_method": "wechat",
        }
        began, backend = time.perf_counter(), None
        mine = _schedstat("/proc/thread-self/schedstat")
        try:
            with database.unit_of_work() as session:
                backend = _backend_stat(session)
                place_order(
                    session=session,
                    consumer_id=consumer_id,
                    order_in=OrderIn.model_validate(body),
                    key=f"sync-{consumer_id}",
                    now=datetime.now(UTC),
                )
        except Exception:  # a refusal is an outcome; its latency counts the same
            pass
        wall = time.perf_counter() - began
        mine = _schedstat("/proc/thread-self/schedstat", since=mine)
        theirs = _schedstat(backend[0], since=backend[1]) if backend else (0.0, 0.0)
        latencies.append((wall, *mine, *theirs))
    return latencies


def _backend_stat(session) -> tuple[str, tuple[float, float]] | None:
    connection = session.connection().connection.dbapi_connection
    if not hasattr(connection, "info"):  # sqlite3: the engine runs in this thread
        return None
    path = f"/proc/{connection.info.backend_pid}/schedstat"
    return path, _schedstat(path)


def _schedstat(path: str, since=(0.0, 0.0)) -> tuple[float, float]:
    """(CPU s, run-queue wait s) of a task so far, minus `since`."""
    try:
        cpu_ns, wait_ns, _ = Path(path).read_text().split()
    except (OSError, ValueError):
        return 0.0, 0.0
    return int(cpu_ns) / 1e9 - since[0], int(wait_ns) / 1e9 - since[1]


def _split_ms(latencies: list[tuple[float, ...]]) -> dict | None:
    """Medians (ms) of an order's latency parts; `other`: lock, disk and network waits."""
    if not latencies:
        return None
    names = ("client_cpu", "client_runq", "db_cpu", "db_runq")
    split = {name: _p50_ms(latencies, n + 1) for n, name in enumerate(names)}
    split["other"] = round(statistics.median(2 * e[0] - sum(e) for e in latencies) * 1000, 2)
    return split


def _rows_applied(database: Database) -> tuple[int, int]:
    """Rows applied and rows changed, summed over the SyncRuns."""
    with database.unit_of_work(write=False) as session:
        total = func.coalesce(func.sum(SyncRun.rows_applied), 0)
        changed = func.coalesce(func.sum(SyncRun.rows_changed), 0)
        return tuple(session.exec(select(total, changed)).one())


def _orm_baseline(database: Database, store_ids: list[int], feeds: Path) -> tuple[int, float]:
    """The per-row ORM way on a sample of stores: (rows applied, seconds)."""
    with database.unit_of_work(write=False) as session:
        ids = dict(session.exec(select(Product.sku, Product.id)).all())
        stores = session.exec(select(Store).where(Store.id.in_(store_ids))).all()
    rows, began = 0, time.perf_counter()
    for store in stores:
        snapshot = adapter_for("csv", store.adapter_settings).fetch()
        with database.unit_of_work() as session:
            now = datetime.now(UTC)
            for row in snapshot.rows:
                key = (StoreStock.store_id == store.id, StoreStock.product_id == ids[row.sku])
                stock = session.exec(select(StoreStock).where(*key)).one()
                stock.on_hand, stock.price_fen, stock.synced_at = row.on_hand, row.price_fen, now
                session.add(stock)
                rows += 1
    return rows, time.perf_counter() - began


def _p50_ms(latencies: list[tuple[float, ...]], column: int = 0) -> float | None:
    values = [entry[column] for entry in latencies]
    return round(statistics.median(values) * 1000, 2) if values else None


def _lock_waits(engine: str, url: str):
    return LockWaits(url) if engine == "postgresql" else contextlib.nullcontext()


class LockWaits:
    """Samples, every 20 ms, whether any backend of the database waits for a lock."""

    def __init__(self, url: str):
        self.url, self.samples, self.waiting = url, 0, 0
        self._stop = threading.Event()

    def __enter__(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc):
        self._stop.set()
        self._thread.join()

    @property
    def share(self) -> float:
        """The share of samples in which some backend waited for a lock."""
        return round(self.waiting / max(self.samples, 1), 3)

    def _run(self) -> None:
        engine = make_engine(self.url)
        query = text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        with engine.connect() as conn:
            while not self._stop.wait(0.02):
                self.samples += 1
                self.waiting += conn.execute(query).scalar() > 0
                conn.rollback()
        engine.dispose()


if __name__ == "__main__":
    main()
