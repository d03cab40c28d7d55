"""The scheduler process: one leader runs each job once per interval; a standby takes over
within 30 s of the leader's kill -9; registry jobs with an interval are all scheduled."""

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from subprocess import PIPE

import pytest
from sqlalchemy import text

from service.clock import SystemClock
from service.db import Database, make_engine
from service.jobs.registry import JOBS
from service.jobs.scheduler import SchedulerConfig, build_scheduler

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.live
STARTING_S = 120  # as tests/support/live.py waits for gunicorn: imports took 50 s at load 25
STOPPING_S = 60


@pytest.fixture
def database_url(template):
    url = template.copy()
    engine = make_engine(url)
    with engine.begin() as conn:  # one store syncing every second, the others by hand
        store_id = conn.execute(
            text("SELECT min(id) FROM stores WHERE adapter_kind = 'csv'")
        ).scalar()
        conn.execute(
            text("UPDATE stores SET adapter_kind = 'manual' WHERE id <> :id"), {"id": store_id}
        )
        conn.execute(text("UPDATE stores SET sync_interval_s = 1 WHERE id = :id"), {"id": store_id})
    engine.dispose()
    yield url
    template.drop(url)


def start(url: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "HD_SCHEDULER_LOCK_POLL_S": "0.3",
        "HD_SCHEDULER_REFRESH_S": "1",
        "LOG_LEVEL": "WARNING",
    }
    command = [str(Path(sys.executable).with_name("hourdelivery")), "scheduler"]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, and wait while a running job finishes (shutdown waits for it: once more than
    20 s on PostgreSQL under load); a scheduler still running after STOPPING_S fails."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOPPING_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


def wait_for(condition, timeout_s: float, what: str) -> float:
    """Poll `condition` until true; returns the seconds it took."""
    began = time.monotonic()
    while not condition():
        assert time.monotonic() - began < timeout_s, f"timed out waiting for {what}"
        time.sleep(0.1)
    return time.monotonic() - began


def run_starts(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [
                row[0] for row in conn.execute(text("SELECT started_at FROM sync_runs ORDER BY id"))
            ]
    finally:
        engine.dispose()


def test_one_leader_runs_each_job_once_and_a_standby_takes_over_after_kill_9(
    database_url, tmp_path
):
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = start(database_url, first_log)
    second = None
    try:
        # A process's start (imports, first connection) took 30 s and more at load 11, so the
        # starts get STARTING_S; only the takeover is held to the 30 s bound.
        wait_for(lambda: b"leading" in first_log.read_bytes(), STARTING_S, "the first to lead")
        second = start(database_url, second_log)
        wait_for(lambda: b"standing by" in second_log.read_bytes(), STARTING_S, "the standby")
        wait_for(lambda: len(run_starts(database_url)) >= 4, STARTING_S, "four sync runs")
        assert b"leading" not in second_log.read_bytes()
        first.send_signal(signal.SIGKILL)
        first.wait()
        runs_at_kill = len(run_starts(database_url))
        took = wait_for(lambda: b"leading" in second_log.read_bytes(), 30, "the standby to lead")
        assert took < 30
        resumed = runs_at_kill + 2
        wait_for(lambda: len(run_starts(database_url)) >= resumed, STARTING_S, "runs resuming")
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                stop(process)
    starts = [s if isinstance(s, str) else s.isoformat() for s in run_starts(database_url)]
    assert len(starts) == len(set(starts))
    gaps = _gaps(run_starts(database_url))
    assert min(gaps) > 0.5, gaps  # never two runs of the one job within an interval


def test_a_stop_ends_the_leading_scheduler_while_store_jobs_are_being_refreshed(
    database_url, monkeypatch
):
    import threading

    from service.jobs import scheduler

    refresh = scheduler.refresh_store_jobs

    def slow_refresh(*args):  # a slow read of the stores: a stop nearly always lands in one
        time.sleep(0.2)
        refresh(*args)

    monkeypatch.setattr(scheduler, "refresh_store_jobs", slow_refresh)
    database = Database(make_engine(database_url))
    config = SchedulerConfig(lock_poll_s=0.05, refresh_s=0.01)
    try:
        for _ in range(3):
            stop = threading.Event()
            thread = threading.Thread(
                target=scheduler.run_scheduler,
                daemon=True,
                kwargs={
                    "database": database,
                    "clock": SystemClock(),
                    "config": config,
                    "stop": stop,
                },
            )
            thread.start()
            time.sleep(0.5)
            stop.set()
            thread.join(timeout=15)
            assert not thread.is_alive(), "the scheduler did not stop within 15 s"
    finally:
        database.engine.dispose()


def _gaps(starts) -> list[float]:
    from datetime import datetime

    parsed = [s if isinstance(s, datetime) else datetime.fromisoformat(str(s)) for s in starts]
    return [(b - a).total_seconds() for a, b in zip(parsed, parsed[1:], strict=False)]


BUSY_WAITER = """
import os, signal
from service.sync.commands import stop_on_signals
stop = stop_on_signals(signal.SIGTERM)
print("ready", flush=True)
for _ in range(20):
    while not stop.wait(0):  # nearly always inside the event's lock (a 0.3 s poll sometimes)
        pass
    stop.clear()
    print("stopped", flush=True)
os._exit(0)
"""


def test_a_sigterm_always_stops_a_process_whose_main_thread_is_in_the_stop_events_wait():
    # The handler called stop.set(), which takes the event's lock: landing in a wait() that
    # held it, the handler waited for itself and the scheduler never exited (once in a while).
    process = subprocess.Popen([sys.executable, "-c", BUSY_WAITER], cwd=ROOT, stdout=PIPE)
    try:
        assert process.stdout.readline() == b"ready\n"
        for n in range(20):
            process.send_signal(signal.SIGTERM)
            heard, _, _ = select.select([process.stdout], [], [], STOPPING_S)
            assert heard and process.stdout.readline() == b"stopped\n", f"signal {n + 1}"
        assert process.wait(timeout=STOPPING_S) == 0
    finally:
        process.kill()


def test_every_registry_job_with_an_interval_is_scheduled(tmp_path):
    database = Database(make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}"))
    scheduler = build_scheduler(database=database, clock=SystemClock(), config=SchedulerConfig())
    scheduler.start(paused=True)  # pending jobs get the defaults when the scheduler starts
    try:
        ids = {job.id for job in scheduler.get_jobs()}
        assert {f"job:{name}" for name, job in JOBS.items() if job.every_s} <= ids
        assert all(job.max_instances == 1 and job.coalesce for job in scheduler.get_jobs())
    finally:
        scheduler.shutdown(wait=False)


def test_store_jobs_follow_new_stores_changed_intervals_and_manual_switches(db, session):
    from apscheduler.schedulers.background import BackgroundScheduler

    from service.jobs.scheduler import refresh_store_jobs
    from tests.support.factories import make_city, make_store

    store = make_store(
        session,
        make_city(session),
        1.0,
        adapter_kind="csv",
        sync_interval_s=90,
        adapter_settings={"path": "/nowhere.csv"},
    )
    session.commit()
    scheduler = BackgroundScheduler()
    refresh_store_jobs(scheduler, db, SystemClock())
    assert scheduler.get_job(f"store:{store.id}").trigger.interval.total_seconds() == 90
    assert scheduler.get_job(f"store:{store.id}").executor == "syncs"  # the niced threads
    store.sync_interval_s = 45
    session.add(store)
    session.commit()
    refresh_store_jobs(scheduler, db, SystemClock())
    assert scheduler.get_job(f"store:{store.id}").trigger.interval.total_seconds() == 45
    store.adapter_kind = "manual"
    session.add(store)
    session.commit()
    refresh_store_jobs(scheduler, db, SystemClock())
    assert scheduler.get_job(f"store:{store.id}") is None


def test_a_simulated_clock_shortens_every_real_interval_by_its_speed(tmp_path):
    from datetime import UTC, datetime

    from service.clock import ScaledClock

    now = datetime.now(UTC)
    clock = ScaledClock(now, now, speed=10)
    database = Database(make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}"))
    scheduler = build_scheduler(database=database, clock=clock, config=SchedulerConfig())
    for name, job in JOBS.items():
        if job.every_s:
            interval = scheduler.get_job(f"job:{name}").trigger.interval.total_seconds()
            assert interval == job.every_s / 10


def test_sync_threads_run_at_a_lower_cpu_priority_than_the_rest():
    import threading

    from service.jobs.scheduler import SYNC_NICE, lower_priority

    seen = []

    def niced():
        lower_priority()
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    thread = threading.Thread(target=niced)
    thread.start()
    thread.join()
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    assert seen == [min(19, mine + SYNC_NICE)]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine  # only that thread
