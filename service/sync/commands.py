"""`hourdelivery sync` (inventory syncs by hand) and `hourdelivery scheduler` (the process)."""

import os
import signal
import threading
import time

import click
from flask.cli import with_appcontext
from sqlmodel import select
from tqdm import tqdm

from service.cities.models import City
from service.jobs.scheduler import SchedulerConfig, run_scheduler
from service.sync.jobs import sync_many
from service.sync.service import sync_tasks
from service.web.context import clock, database

COLUMNS = (
    "store",
    "kind",
    "status",
    "read",
    "applied",
    "changed",
    "rejected",
    "zeroed",
    "ms",
    "error",
)


@click.command("sync", help="Run inventory syncs now: one store, a city's, or all.")
@click.option("--store", "store_id", type=int, help="One store id.")
@click.option("--city", "city_code", help="Every synced store of a city (its code, e.g. changsha).")
@click.option("--all", "everything", is_flag=True, help="Every synced store.")
@click.option("--force", is_flag=True, help="Apply feeds even if they look truncated.")
@click.option(
    "--nice",
    type=click.IntRange(0, 19),
    default=10,
    show_default=True,
    help="Lower this process's CPU priority by this: requests come first.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 16),
    help="Feeds read at once (default: 2 on PostgreSQL, 1 on SQLite).",
)
@with_appcontext
def sync_command(
    store_id: int | None,
    city_code: str | None,
    everything: bool,
    force: bool,
    nice: int,
    workers: int | None,
):
    if sum(map(bool, (store_id, city_code, everything))) != 1:
        raise click.UsageError("give exactly one of --store ID, --city SLUG, --all")
    os.nice(nice)
    with database().unit_of_work(write=False) as session:
        city_id = _city_id(session, city_code) if city_code else None
        tasks = sync_tasks(session, store_ids=[store_id] if store_id else None, city_id=city_id)
    # SQLite writes one transaction at a time: a second sync thread would only make orders wait.
    workers = workers or (2 if database().dialect == "postgresql" else 1)
    began = time.perf_counter()
    outcomes = sync_many(database(), tasks, now=clock().now(), force=force, workers=workers)
    runs = [run for _, run in tqdm(outcomes, total=len(tasks), desc="syncing", unit="store")]
    _print_table([run for run in runs if run], time.perf_counter() - began)
    failed = sum(run is None or run.status != "ok" for run in runs)
    if failed:
        raise click.ClickException(f"{failed} sync(s) did not apply")


@click.command("scheduler", help="Run the periodic jobs and store syncs (one leader at a time).")
@with_appcontext
def scheduler_command():
    stop = stop_on_signals(signal.SIGINT, signal.SIGTERM)
    run_scheduler(database=database(), clock=clock(), config=SchedulerConfig.from_env(), stop=stop)


def stop_on_signals(*signums: int) -> threading.Event:
    """An event set whenever one of `signums` arrives (call from the main thread).

    Not set by the signal handler: a handler runs in the main thread between two bytecodes,
    maybe inside stop.wait() while that holds the event's lock, which set() takes too, and the
    process hung for good on its SIGTERM. The signal writes to a pipe instead
    (signal.set_wakeup_fd) and a thread of its own sets the event."""
    stop = threading.Event()
    read, write = os.pipe()
    os.set_blocking(write, False)
    signal.set_wakeup_fd(write)
    for signum in signums:  # a Python handler, so that Python's own writes the wakeup byte
        signal.signal(signum, lambda *_: None)

    def wait_for_signals() -> None:
        while got := os.read(read, 1):  # the signal's number, for any signal Python handles
            if got[0] in signums:
                stop.set()

    threading.Thread(target=wait_for_signals, daemon=True, name="signals").start()
    return stop


def _city_id(session, code: str) -> int:
    city_id = session.exec(select(City.id).where(City.code == code)).first()
    if city_id is None:
        raise click.BadParameter(f"no city {code!r}", param_hint="--city")
    return city_id


def _print_table(runs, elapsed_s: float) -> None:
    counts = (
        "rows_read",
        "rows_applied",
        "rows_changed",
        "rows_rejected",
        "rows_zeroed",
        "duration_ms",
    )
    rows = [
        (
            str(r.store_id),
            r.adapter_kind,
            r.status,
            *(str(getattr(r, name)) for name in counts),
            (r.error or "")[:60],
        )
        for r in runs
    ]
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(COLUMNS)]
    for row in (COLUMNS, *rows):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    applied = sum(r.rows_applied for r in runs)
    click.echo(f"{len(runs)} store(s), {applied} rows applied in {elapsed_s:.2f} s")
