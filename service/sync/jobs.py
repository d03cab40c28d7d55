"""Sync runs as job items: each store in its own transaction through the job runner, so one
store's failure is logged and never stops the others (the scheduler and the CLI run these)."""

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from service.db import Database
from service.jobs.runner import Job, run_job
from service.sync.models import SyncRun
from service.sync.service import SyncTask, run_sync, sync_tasks


def sync_one(database: Database, task: SyncTask | Callable, *, now: datetime,
             force: bool = False) -> SyncRun | None:  # fmt: skip
    """One store's sync (a task, or a callable reading it); None if it crashed or was not due."""
    runs: list[SyncRun] = []

    def run_item(*, session, item, now):
        runs.append(run_sync(session=session, task=item, now=now, force=force))
        return runs[-1].rows_applied

    items = task if callable(task) else (lambda _session: [task])
    run_job(Job(f"sync store {getattr(task, 'store_id', '')}", "inventory sync", items, run_item),
            database=database, now=now)  # fmt: skip
    return runs[0] if runs else None


def sync_due_store(database: Database, store_id: int, *, now: datetime) -> SyncRun | None:
    """The scheduler's job for one store: its sync, unless the store is backing off."""
    return sync_one(database, lambda session: sync_tasks(session, store_ids=[store_id], due_at=now),
                    now=now)  # fmt: skip


def sync_many(database: Database, tasks: Iterable[SyncTask], *, now: datetime, force: bool = False,
              workers: int = 2) -> Iterator[tuple[SyncTask, SyncRun | None]]:  # fmt: skip
    """Run the tasks `workers` at a time (one reads a feed while another writes); in order."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        tasks = list(tasks)
        runs = pool.map(lambda task: sync_one(database, task, now=now, force=force), tasks)
        yield from zip(tasks, runs, strict=True)
