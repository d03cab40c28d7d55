"""The scheduler process (`hourdelivery scheduler`): every periodic job of the registry on its
own interval, and one inventory sync job per synced store on that store's interval, at the
store's slots (sync/schedule.py: the API lists the same next run without asking this process).

Only the holder of the leader lock (jobs/leader.py) runs jobs; others stand by. Store jobs are
re-read every `refresh_s`, so new stores and changed intervals are picked up without a restart.
"""

import contextlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import col, select

from service.clock import Clock, speed_of
from service.db import Database
from service.jobs.leader import Leadership
from service.jobs.registry import JOBS
from service.jobs.runner import Job, run_job
from service.stores.models import Store
from service.sync.jobs import sync_due_store
from service.sync.schedule import first_slot
from service.sync.service import MANUAL

log = logging.getLogger(__name__)
SYNC_NICE = 10  # a tenth of a normal thread's share of a busy core (Linux CFS weights)


@dataclass(frozen=True)
class SchedulerConfig:
    lock_poll_s: float = 5.0  # how often a standby tries the lock (takeover well within 30 s)
    refresh_s: float = 30.0  # how often store jobs are re-read (changes seen within a minute)
    workers: int = 4

    @classmethod
    def from_env(cls) -> "SchedulerConfig":
        """HD_SCHEDULER_LOCK_POLL_S, HD_SCHEDULER_REFRESH_S, HD_SCHEDULER_WORKERS."""
        env = os.environ.get
        return cls(
            lock_poll_s=float(env("HD_SCHEDULER_LOCK_POLL_S", cls.lock_poll_s)),
            refresh_s=float(env("HD_SCHEDULER_REFRESH_S", cls.refresh_s)),
            workers=int(env("HD_SCHEDULER_WORKERS", cls.workers)),
        )


def run_scheduler(
    *, database: Database, clock: Clock, config: SchedulerConfig, stop: threading.Event
) -> None:
    """Stand by for the leader lock, then run jobs while it is held, until `stop` is set."""
    leadership = Leadership(database.engine)
    while not stop.is_set():
        log.warning("scheduler %s: standing by for the leader lock", os.getpid())
        if not leadership.wait(config.lock_poll_s, stop.is_set):
            return
        log.warning("scheduler %s: leading", os.getpid())
        scheduler = build_scheduler(database=database, clock=clock, config=config)
        scheduler.start()
        try:
            lead(scheduler, leadership, database=database, clock=clock, config=config, stop=stop)
        finally:
            scheduler.shutdown(wait=True)
            leadership.release()


def lead(
    scheduler,
    leadership: Leadership,
    *,
    database: Database,
    clock: Clock,
    config: SchedulerConfig,
    stop: threading.Event,
) -> None:
    """While the lock holds: re-read the store jobs every `refresh_s` and check the lock.

    The store jobs are refreshed here, not as a job of the scheduler: shutdown(wait=True) holds
    the scheduler's job-store lock while it waits for running jobs, so a job that reads the
    scheduler's jobs at that moment never finishes (a SIGTERM that never ended the process).
    """
    next_refresh = 0.0
    while not stop.is_set():
        if time.monotonic() >= next_refresh:
            next_refresh = time.monotonic() + config.refresh_s
            try:
                refresh_store_jobs(scheduler, database, clock)
            except Exception:  # the database may be away a moment; the next pass tries again
                log.exception("scheduler %s: reading the store jobs failed", os.getpid())
        if stop.wait(max(0.0, min(config.lock_poll_s, next_refresh - time.monotonic()))):
            return
        if not leadership.still_held():
            log.error("scheduler %s: lost the leader lock; standing by", os.getpid())
            return


def build_scheduler(*, database: Database, clock: Clock, config: SchedulerConfig):
    """An APScheduler with the registry's periodic jobs (`lead` adds the stores' jobs)."""
    # Two INFO lines per run of a 3 s job drowned the log; runs are counted in /metrics
    # (hd_job_runs_total) and failures still log at ERROR.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    # Store syncs get their own threads at a lower CPU priority: an order's request (in
    # gunicorn) and the dispatch tick (here) come first when the cores are busy.
    syncs = ThreadPoolExecutor(config.workers, pool_kwargs={"initializer": lower_priority})
    scheduler = BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(config.workers), "syncs": syncs},
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
    )
    speed = speed_of(clock)  # intervals are business seconds; APScheduler counts real ones
    for job in JOBS.values():
        if job.every_s:
            trigger = IntervalTrigger(seconds=job.every_s / speed, jitter=1 / speed)
            scheduler.add_job(
                _run_registered, trigger, args=(job, database, clock), id=f"job:{job.name}"
            )
    return scheduler


def refresh_store_jobs(scheduler, database: Database, clock: Clock) -> None:
    """One job per synced store, on its interval; jobs of stores gone manual are dropped."""
    with database.unit_of_work(write=False) as session:
        wanted = dict(
            session.exec(
                select(Store.id, Store.sync_interval_s).where(col(Store.adapter_kind) != MANUAL)
            ).all()
        )
    for job in scheduler.get_jobs():
        if job.id.startswith("store:") and int(job.id[6:]) not in wanted:
            job.remove()
    for store_id, interval_s in wanted.items():
        job = scheduler.get_job(f"store:{store_id}")
        real_s = interval_s / speed_of(clock)  # a business interval, on the real clock
        if job is not None and job.trigger.interval == timedelta(seconds=real_s):
            continue
        trigger = IntervalTrigger(seconds=real_s, start_date=first_slot(store_id, real_s))
        if job is None:
            scheduler.add_job(
                sync_store_job,
                trigger,
                args=(database, clock, store_id),
                id=f"store:{store_id}",
                executor="syncs",
            )
        else:
            job.reschedule(trigger)


def lower_priority(by: int = SYNC_NICE) -> None:
    """Lower the CPU priority of the calling thread (Linux: niceness is per thread)."""
    # Not Linux, or not allowed: the thread runs at the usual priority.
    with contextlib.suppress(AttributeError, OSError):
        thread = threading.get_native_id()
        os.setpriority(
            os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + by)
        )


def sync_store_job(database: Database, clock: Clock, store_id: int) -> None:
    """One store's sync, through the job runner; skipped while the store is backing off."""
    sync_due_store(database, store_id, now=clock.now())


def _run_registered(job: Job, database: Database, clock: Clock) -> None:
    report = run_job(job, database=database, now=clock.now())
    if report.failed:
        log.warning("job %s: %d item(s) failed", job.name, len(report.failed))
