"""Run a job item by item: each item its own transaction; one failure is logged, not fatal.

On PostgreSQL each item's transaction first takes pg_try_advisory_xact_lock(job, item): after
a failover two schedulers may both believe they lead for a moment (the old one notices its lost
lock only at its next check), and the lock keeps them off the same item at the same time. An
item whose lock is taken is skipped; the jobs re-read their item's state inside the transaction,
so the one that runs second finds nothing left to do. A job whose items carry more than their
identity (a store's sync task carries its cursor) names the item by `fence`.
"""

import logging
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from service.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    # (session, now) -> the items due at `now`, read in a transaction of their own; a
    # set-based read, so a run opens a transaction only for an item with something to do.
    items: Callable[[Session, datetime], list[Any]]
    run_item: Callable[..., int]  # (session=, item=, now=) -> rows changed
    every_s: int | None = None  # how often the scheduler runs it; None: only by hand
    # What names an item to its lock (None: the item itself), the same in every scheduler.
    fence: Callable[[Any], Any] | None = None


@dataclass
class JobReport:
    name: str
    items: int = 0
    changed: int = 0
    failed: list[str] = field(default_factory=list)


def run_job(job: Job, *, database: Database, now: datetime) -> JobReport:
    """Run every item of `job` in its own unit of work, carrying on past failures."""
    from service.observability import logs, metrics

    report = JobReport(job.name)
    started = time.perf_counter()
    logs.bind(job=job.name, run_id=uuid.uuid4().hex)  # on every log line of this run
    try:
        _run_items(job, database, now, report)
    finally:
        metrics.record_job(job.name, time.perf_counter() - started, len(report.failed))
        logs.unbind()
    return report


def _run_items(job: Job, database: Database, now: datetime, report: JobReport) -> None:
    with database.unit_of_work(write=False) as session:
        items = job.items(session, now)
    fenced = database.dialect == "postgresql"
    for item in items:
        report.items += 1
        try:
            with database.unit_of_work() as session:
                key = item if job.fence is None else job.fence(item)
                if fenced and not _item_lock(session, job.name, key):
                    log.warning("job %s: item %r is being run by another scheduler", job.name, item)
                    continue
                report.changed += job.run_item(session=session, item=item, now=now)
        except Exception:  # one bad item must not stop the others; it is logged and reported
            log.exception("job %s failed on item %r", job.name, item)
            report.failed.append(repr(item))


def _item_lock(session: Session, job_name: str, item: Any) -> bool:
    """Take (job, item)'s transaction-scoped advisory lock if free; the transaction frees it."""
    keys = {"job": _int4(job_name), "item": _int4(repr(item))}
    return session.execute(text("SELECT pg_try_advisory_xact_lock(:job, :item)"), keys).scalar()


def _int4(name: str) -> int:
    """A stable signed 32-bit key for `name` (PostgreSQL's two-key advisory locks are int4)."""
    return zlib.crc32(name.encode()) - (1 << 31)
