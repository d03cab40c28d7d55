"""Sync runs as job items through the job runner, so one store's failure is logged and never
stops the others (the scheduler and the CLI run these)."""

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from service.db import Database
from service.jobs.runner import Job, run_job
from service.sync.models import SyncRun
from service.sync.service import (
    Fetched,
    SyncTask,
    apply_fetched,
    fetch_feed,
    polled_since,
    run_sync,
    sync_tasks,
)

log = logging.getLogger(__name__)
# Rows one transaction writes on PostgreSQL when many stores sync at once: a batch's fixed
# cost (the store locks, a COPY, three statements, a commit) spread over ~20 stores, while an
# order at one of them waits at most for that batch (~0.1-0.2 s). SQLite: one store a
# transaction, as its single writer lock would hold every order back for the whole batch.
BATCH_ROWS = 20_000
AHEAD = 32  # feeds read ahead of the writes (each holds its rows in memory until written)


def sync_one(
    database: Database, task: SyncTask | Callable, *, now: datetime, force: bool = False
) -> SyncRun | None:
    """One store's sync (a task, or a callable reading it); None if it crashed, was not due
    or was run meanwhile by another scheduler (fenced by the store, then by its last run)."""
    runs: list[SyncRun] = []

    def run_item(*, session, item, now):
        if not force and polled_since(session, item):
            return 0  # another scheduler (after a failover, both lead a moment) ran it
        runs.append(run_sync(session=session, task=item, now=now, force=force))
        return runs[-1].rows_applied

    items = (lambda session, _now: task(session)) if callable(task) else (lambda *_: [task])
    name = f"sync store {getattr(task, 'store_id', '')}"
    fence = lambda item: item.store_id  # noqa: E731 (its cursor may differ between schedulers)
    run_job(Job(name, "inventory sync", items, run_item, fence=fence), database=database, now=now)
    return runs[0] if runs else None


def sync_due_store(database: Database, store_id: int, *, now: datetime) -> SyncRun | None:
    """The scheduler's job for one store: its sync, unless the store is backing off."""
    return sync_one(
        database, lambda session: sync_tasks(session, store_ids=[store_id], due_at=now), now=now
    )


def sync_many(
    database: Database,
    tasks: Iterable[SyncTask],
    *,
    now: datetime,
    force: bool = False,
    workers: int = 2,
    batch_rows: int | None = None,
) -> Iterator[tuple[SyncTask, SyncRun | None]]:
    """Run the tasks: feeds read `workers` at a time ahead of the writes, written in batches of
    about `batch_rows` rows (one transaction each; a failed batch is retried store by store);
    in order."""
    if batch_rows is None:
        batch_rows = BATCH_ROWS if database.dialect == "postgresql" else 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for batch in _batches(_read_ahead(pool, tasks), batch_rows):
            runs = _write_batch(database, batch, now=now, force=force)
            yield from zip((item.task for item in batch), runs, strict=True)


def _read_ahead(pool: ThreadPoolExecutor, tasks: Iterable[SyncTask]) -> Iterator[Fetched]:
    pending: deque = deque()
    for task in tasks:
        pending.append(pool.submit(fetch_feed, task))
        if len(pending) >= AHEAD:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _batches(fetched: Iterable[Fetched], batch_rows: int) -> Iterator[list[Fetched]]:
    batch: list[Fetched] = []
    rows = 0
    for item in fetched:
        batch.append(item)
        rows += len(item.snapshot.rows) if item.snapshot else 0
        if rows >= batch_rows:
            yield batch
            batch, rows = [], 0
    if batch:
        yield batch


def _write_batch(
    database: Database, batch: list[Fetched], *, now: datetime, force: bool
) -> list[SyncRun | None]:
    """One transaction for the batch; if it fails, each store alone (its error logged)."""
    runs: list[SyncRun] = []

    def run_item(*, session, item, now):
        runs.extend(apply_fetched(session=session, fetched=item, now=now, force=force))
        return sum(run.rows_applied for run in runs)

    name = f"sync {len(batch)} store(s)"
    report = run_job(
        Job(name, "inventory sync", lambda *_: [batch], run_item), database=database, now=now
    )
    if not report.failed:
        return runs
    if len(batch) == 1:
        return [None]
    log.warning("a batch of %d store syncs failed; writing them one by one", len(batch))
    return [run for item in batch for run in _write_batch(database, [item], now=now, force=force)]
