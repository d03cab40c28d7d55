"""Inventory sync: read a store's feed through its adapter, then apply it in one transaction.

The feed is read before the session is first used, so no transaction (on SQLite: no write
lock) is held while a store's system is slow. Every run leaves a SyncRun row.
"""

import logging
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from service.stores.models import Store
from service.sync.bulk import apply_feeds
from service.sync.checks import accepted_feeds
from service.sync.models import SyncRun, SyncStatus
from store_adapters import FeedError, StockSnapshot, adapter_for

log = logging.getLogger(__name__)
MANUAL = "manual"
BACKOFF_CAP_S = 3600


@dataclass(frozen=True)
class SyncTask:
    """What a run needs to read a store's feed; read in its own (read-only) transaction."""

    store_id: int
    city_id: int
    kind: str
    interval_s: int
    cursor: str | None
    settings: dict[str, Any] = field(repr=False)  # may hold a store's credentials
    polled_at: datetime | None = None  # the store's last run when this task was read


def stale_intervals() -> float:
    """How many sync intervals old a store's last good sync may be (HD_STALE_INTERVALS)."""
    return float(os.environ.get("HD_STALE_INTERVALS", "3"))


def sync_tasks(
    session: Session,
    *,
    store_ids: list[int] | None = None,
    city_id: int | None = None,
    due_at: datetime | None = None,
) -> list[SyncTask]:
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
    return SyncTask(
        store_id=store.id,
        city_id=store.city_id,
        kind=store.adapter_kind,
        interval_s=store.sync_interval_s,
        cursor=store.sync_cursor,
        settings=dict(store.adapter_settings or {}),
        polled_at=store.last_polled_at,
    )


def polled_since(session: Session, task: SyncTask) -> bool:
    """Whether the store's sync ran (in any scheduler) since `task` was read: a second
    scheduler's run of the same slot then has nothing left to do."""
    query = select(Store.last_polled_at).where(col(Store.id) == task.store_id)
    return session.exec(query).one() != task.polled_at


@dataclass(frozen=True)
class Fetched:
    """A store's feed as read (or why it could not be), before any transaction."""

    task: SyncTask
    snapshot: StockSnapshot | None = field(repr=False)  # thousands of rows: not for a log line
    error: str | None
    fetch_s: float


def run_sync(*, session: Session, task: SyncTask, now: datetime, force: bool = False) -> SyncRun:
    """Read the store's feed, then apply it (or record why not); returns the SyncRun."""
    return apply_fetched(session=session, fetched=[fetch_feed(task)], now=now, force=force)[0]


def fetch_feed(task: SyncTask) -> Fetched:
    """Read a store's feed through its adapter (no database: call it outside a transaction)."""
    started = time.monotonic()
    try:
        snapshot, error = adapter_for(task.kind, task.settings).fetch(task.cursor), None
    except FeedError as failure:
        snapshot, error = None, str(failure)[:1000]
    except Exception as failure:  # a broken adapter is this store's failure, never the scheduler's
        log.warning(
            "store %s: adapter %s crashed: %s", task.store_id, task.kind, type(failure).__name__
        )
        snapshot, error = None, f"adapter error: {type(failure).__name__}"
    return Fetched(task, snapshot, error, time.monotonic() - started)


def apply_fetched(
    *, session: Session, fetched: list[Fetched], now: datetime, force: bool = False
) -> list[SyncRun]:
    """Apply feeds of distinct stores in one bulk write; their SyncRuns, in the same order.

    The store rows are locked first, in id order: the lock order of every path (orders take
    the store row, then its stock).
    """
    started = time.monotonic()
    ids = sorted(item.task.store_id for item in fetched)
    locked = (
        select(Store)
        .where(col(Store.id).in_(ids))
        .order_by(col(Store.id))
        .with_for_update(key_share=True)
    )
    stores = {s.id: s for s in session.exec(locked.execution_options(populate_existing=True))}
    runs = [_run_of(item, now, force) for item in fetched]
    feeds = accepted_feeds(session, fetched, runs, force)
    written = apply_feeds(session.connection(), list(feeds.values()), now=now)
    share_s = (time.monotonic() - started) / max(len(fetched), 1)  # the write, shared out
    for item, run in zip(fetched, runs, strict=True):
        if run.store_id in feeds:
            feed, outcome = feeds[run.store_id], written[run.store_id]
            run.rows_applied, run.rows_zeroed = len(feed.rows), outcome.zeroed
            run.rows_changed = outcome.changed
            run.cursor = item.snapshot.cursor
        run.duration_ms = round((item.fetch_s + share_s) * 1000)
        run.finished_at = now + timedelta(milliseconds=run.duration_ms)
        _record_outcome(session, stores[run.store_id], item.task, run, now)
    session.add_all(runs)
    session.flush()
    return runs


def _run_of(item: Fetched, now: datetime, force: bool) -> SyncRun:
    run = SyncRun(
        city_id=item.task.city_id,
        store_id=item.task.store_id,
        adapter_kind=item.task.kind,
        started_at=now,
        forced=force,
    )
    if item.snapshot is None:
        run.status, run.error = SyncStatus.FAILED, item.error
    else:
        run.feed = "full" if item.snapshot.full else "delta"
    return run


def _record_outcome(
    session: Session, store: Store, task: SyncTask, run: SyncRun, now: datetime
) -> None:
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
