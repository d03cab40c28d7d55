"""`hourdelivery sync` (inventory syncs by hand) and `hourdelivery scheduler` (the process)."""

import signal
import threading
import time

import click
from flask.cli import with_appcontext
from sqlmodel import select
from tqdm import tqdm

from service.cities.models import City
from service.jobs.runner import Job, run_job
from service.jobs.scheduler import SchedulerConfig, run_scheduler
from service.sync.service import run_sync, sync_tasks
from service.web.context import clock, database

COLUMNS = ("store", "kind", "status", "read", "applied", "rejected", "zeroed", "ms", "error")


@click.command("sync", help="Run inventory syncs now: one store, a city's, or all.")
@click.option("--store", "store_id", type=int, help="One store id.")
@click.option("--city", "city_code", help="Every synced store of a city (its code, e.g. changsha).")
@click.option("--all", "everything", is_flag=True, help="Every synced store.")
@click.option("--force", is_flag=True, help="Apply feeds even if they look truncated.")
@with_appcontext
def sync_command(store_id: int | None, city_code: str | None, everything: bool, force: bool):
    if sum(map(bool, (store_id, city_code, everything))) != 1:
        raise click.UsageError("give exactly one of --store ID, --city SLUG, --all")
    with database().unit_of_work(write=False) as session:
        city_id = _city_id(session, city_code) if city_code else None
    runs = []

    def items(session):
        tasks = sync_tasks(session, store_ids=[store_id] if store_id else None, city_id=city_id)
        return tqdm(tasks, desc="syncing", unit="store")

    def run_item(*, session, item, now):
        runs.append(run_sync(session=session, task=item, now=now, force=force))
        return runs[-1].rows_applied

    began = time.perf_counter()
    report = run_job(Job("sync", "inventory sync by hand", items, run_item), database=database(),
                     now=clock().now())  # fmt: skip
    _print_table(runs, time.perf_counter() - began)
    if report.failed or any(run.status != "ok" for run in runs):
        raise click.ClickException(f"{sum(r.status != 'ok' for r in runs)} sync(s) did not apply")


@click.command("scheduler", help="Run the periodic jobs and store syncs (one leader at a time).")
@with_appcontext
def scheduler_command():
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    run_scheduler(database=database(), clock=clock(), config=SchedulerConfig.from_env(), stop=stop)


def _city_id(session, code: str) -> int:
    city_id = session.exec(select(City.id).where(City.code == code)).first()
    if city_id is None:
        raise click.BadParameter(f"no city {code!r}", param_hint="--city")
    return city_id


def _print_table(runs, elapsed_s: float) -> None:
    rows = [(str(r.store_id), r.adapter_kind, r.status, str(r.rows_read), str(r.rows_applied),
             str(r.rows_rejected), str(r.rows_zeroed), str(r.duration_ms), (r.error or "")[:60])
            for r in runs]  # fmt: skip
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(COLUMNS)]
    for row in (COLUMNS, *rows):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    applied = sum(r.rows_applied for r in runs)
    click.echo(f"{len(runs)} store(s), {applied} rows applied in {elapsed_s:.2f} s")
