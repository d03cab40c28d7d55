"""Inventory sync: read a store's feed through its adapter, then apply it in one transaction.

The feed is read before the session is first used, so no transaction (on SQLite: no write
lock) is held while a store's system is slow. Every run leaves a SyncRun row.
"""

import logging
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from service import caches
from service.catalog.models import Product, StoreStock
from service.stores.models import Store
from service.sync.bulk import upsert_stock, zero_missing
from service.sync.models import SyncRun, SyncStatus
from store_adapters import FeedError, StockSnapshot, adapter_for

log = logging.getLogger(__name__)
MANUAL = "manual"
TRUNCATED_BELOW = 0.5  # of the last good full snapshot's rows
BACKOFF_CAP_S = 3600
# SKU -> product id for every sync of the process: a 1,000-SKU IN list cost more than the upsert
# (psycopg parses each long query). A SKU new to the catalogue is rejected as unknown for at
# most a minute, then applied by the store's next run.
_catalogue = caches.ttl_cache(maxsize=1, ttl=60)


@dataclass(frozen=True)
class SyncTask:
    """What a run needs to read a store's feed; read in its own (read-only) transaction."""

    store_id: int
    city_id: int
    kind: str
    interval_s: int
    cursor: str | None
    settings: dict[str, Any] = field(repr=False)  # may hold a store's credentials


def stale_intervals() -> float:
    """How many sync intervals old a store's last good sync may be (HD_STALE_INTERVALS)."""
    return float(os.environ.get("HD_STALE_INTERVALS", "3"))


def sync_tasks(session: Session, *, store_ids: list[int] | None = None, city_id: int | None = None,
               due_at: datetime | None = None) -> list[SyncTask]:  # fmt: skip
    """The tasks of every synced (not manual) store, or of the stores named (and not backing
    off at `due_at`, if given)."""
    query = select(Store).where(col(Store.adapter_kind) != MANUAL).order_by(col(Store.id))
    if due_at is not None:
        retry_at = col(Store.sync_retry_at)
        query = query.where(retry_at.is_(None) | (retry_at <= due_at))
    if store_ids is not None:
        query = query.where(col(Store.id).in_(store_ids))
    if city_id is not None:
        query = query.where(col(Store.city_id) == city_id)
    return [task_of(store) for store in session.exec(query)]


def task_of(store: Store) -> SyncTask:
    """The sync task of one store."""
    return SyncTask(store_id=store.id, city_id=store.city_id, kind=store.adapter_kind,
                    interval_s=store.sync_interval_s, cursor=store.sync_cursor,
                    settings=dict(store.adapter_settings or {}))  # fmt: skip


def run_sync(*, session: Session, task: SyncTask, now: datetime, force: bool = False) -> SyncRun:
    """Read the store's feed, then apply it (or record why not); returns the SyncRun."""
    started = time.monotonic()
    snapshot, error = _fetch(task)
    run = SyncRun(city_id=task.city_id, store_id=task.store_id, adapter_kind=task.kind,
                  started_at=now, forced=force)  # fmt: skip
    # The store row before its stock, the lock order of every path (orders reserve that way).
    locked = select(Store).where(Store.id == task.store_id).with_for_update()
    store = session.exec(locked.execution_options(populate_existing=True)).one()
    if snapshot is None:
        run.status, run.error = SyncStatus.FAILED, error
    else:
        run.feed = "full" if snapshot.full else "delta"
        _apply(session, task, snapshot, run, now, force)
    run.duration_ms = round((time.monotonic() - started) * 1000)
    run.finished_at = now + timedelta(milliseconds=run.duration_ms)
    _record_outcome(session, store, task, run, now)
    session.add(run)
    session.flush()
    return run


def _fetch(task: SyncTask) -> tuple[StockSnapshot | None, str | None]:
    try:
        return adapter_for(task.kind, task.settings).fetch(task.cursor), None
    except FeedError as error:
        return None, str(error)[:1000]
    except Exception as error:  # a broken adapter is this store's failure, never the scheduler's
        log.warning("store %s: adapter %s crashed: %s", task.store_id, task.kind,
                    type(error).__name__)  # fmt: skip
        return None, f"adapter error: {type(error).__name__}"


def _apply(session, task, snapshot: StockSnapshot, run: SyncRun, now, force: bool) -> None:
    rows, rejected = _valid_rows(session, snapshot)
    run.rows_read = len(snapshot.rows) + len(snapshot.rejected)
    run.rows_rejected = rejected
    refusal = None if force else _truncation(session, task.store_id, snapshot, run.rows_read)
    if refusal:
        run.status, run.error = SyncStatus.REFUSED, refusal
        return
    connection = session.connection()
    run.rows_applied = upsert_stock(connection, city_id=task.city_id, store_id=task.store_id,
                                    rows=list(rows.values()), now=now)  # fmt: skip
    if snapshot.full:
        keep = set(rows) | _left_alone(session, snapshot)
        run.rows_zeroed = zero_missing(connection, store_id=task.store_id, now=now, keep=keep)
    run.cursor = snapshot.cursor


def _valid_rows(session: Session, snapshot: StockSnapshot) -> tuple[dict, int]:
    """{product_id: (product_id, on_hand, price)} of the known SKUs, and the rejected count.

    A full snapshot listing a SKU twice is ambiguous: both lines are rejected. In a delta feed
    a later change supersedes an earlier one.
    """
    counts = Counter(row.sku for row in snapshot.rows)
    ids = _product_ids(session, list(counts))
    rows = {ids[r.sku]: (ids[r.sku], r.on_hand, r.price_fen) for r in snapshot.rows
            if r.sku in ids and (counts[r.sku] == 1 or not snapshot.full)}  # fmt: skip
    unknown = sum(1 for r in snapshot.rows if r.sku not in ids)
    twice = sum(n for sku, n in counts.items() if n > 1 and sku in ids) if snapshot.full else 0
    return rows, len(snapshot.rejected) + unknown + twice


def _left_alone(session: Session, snapshot: StockSnapshot) -> set[int]:
    """Products a full snapshot listed twice or on bad lines: their stock is unknown, so it is
    left as it was rather than zeroed."""
    counts = Counter(row.sku for row in snapshot.rows)
    unsure = {sku for sku, n in counts.items() if n > 1} | snapshot.unsure
    return set(_product_ids(session, list(unsure)).values())


def _product_ids(session: Session, skus: list[str]) -> dict[str, int]:
    load = lambda: dict(session.exec(select(Product.sku, Product.id)).all())  # noqa: E731
    known = caches.get_or_load(_catalogue, "all", load)
    return {sku: known[sku] for sku in skus if sku in known}


def _truncation(session: Session, store_id: int, snapshot: StockSnapshot, read: int) -> str | None:
    """Why the feed looks cut off, or None."""
    if not snapshot.complete:
        return "feed cut off before its completeness mark"
    if not snapshot.full:
        return None
    last = session.exec(
        select(SyncRun.rows_read).where(SyncRun.store_id == store_id, SyncRun.feed == "full",
                                        SyncRun.status == SyncStatus.OK)
        .order_by(col(SyncRun.id).desc()).limit(1)
    ).first()  # fmt: skip
    if last is None:  # a first feed is measured against the stock the store holds now
        last = session.exec(select(func.count()).where(StoreStock.store_id == store_id)).one()
        what = "rows the store holds"
    else:
        what = "rows of the last good snapshot"
    if last and read < last * TRUNCATED_BELOW:
        return f"feed has {read} rows, under half of the {last} {what}"
    return None


def _record_outcome(session: Session, store: Store, task: SyncTask, run: SyncRun,
                    now: datetime) -> None:  # fmt: skip
    """The store's sync state: freshness and cursor on success, backoff on failure."""
    store.last_polled_at = now
    if run.status == SyncStatus.OK:
        store.last_synced_at = now
        store.stock_fresh_until = now + timedelta(seconds=task.interval_s * stale_intervals())
        store.sync_failures, store.sync_retry_at = 0, None
        if run.cursor is not None:
            store.sync_cursor = run.cursor
    else:
        store.sync_failures += 1
        store.sync_retry_at = now + timedelta(
            seconds=backoff_s(task.interval_s, store.sync_failures)
        )
    session.add(store)


def backoff_s(interval_s: int, failures: int) -> int:
    """Seconds a failing store waits before its next try: doubling, capped at an hour."""
    return min(interval_s * 2 ** min(failures, 20), max(BACKOFF_CAP_S, interval_s))
