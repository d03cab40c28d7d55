"""Operators' view of inventory sync, and a sync run on demand (city operators: their city)."""

from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from service.audit.service import record_audit
from service.db import Database
from service.errors import NotFound
from service.people.models import Operator
from service.stores.models import Store
from service.sync.models import SyncRun, SyncStatus
from service.sync.schedule import next_run_at
from service.sync.schemas import SyncRunRead, SyncStoreRead
from service.sync.service import MANUAL, apply_fetched, fetch_feed, task_of


def sync_overview(
    *, session: Session, operator: Operator, now: datetime, speed: float = 1.0
) -> list[SyncStoreRead]:
    """Every synced store the operator may see, with its last run and when it runs next."""
    query = select(Store).where(col(Store.adapter_kind) != MANUAL).order_by(col(Store.id))
    if operator.city_id is not None:
        query = query.where(col(Store.city_id) == operator.city_id)
    stores = session.exec(query).all()
    latest = (
        select(func.max(SyncRun.id))
        .where(col(SyncRun.store_id).in_([s.id for s in stores]))
        .group_by(col(SyncRun.store_id))
    )
    runs = {r.store_id: r for r in session.exec(select(SyncRun).where(col(SyncRun.id).in_(latest)))}
    real_now = datetime.now(UTC)  # slots are on the real clock; `now` may be simulated
    return [_store_read(store, runs.get(store.id), now, speed, real_now) for store in stores]


def sync_store_now(
    *,
    session: Session,
    database: Database,
    operator: Operator,
    store_id: int,
    now: datetime,
    force: bool = False,
) -> SyncRun:
    """Run one store's sync now, as the scheduler does: the feed read first (`session` only
    reads), then one short write transaction; `force` applies a feed refused as truncated."""
    store = session.get(Store, store_id)
    if (
        store is None
        or operator.city_id not in (None, store.city_id)
        or store.adapter_kind == MANUAL
    ):
        raise NotFound(f"no synced store {store_id}", field="store_id")
    fetched = fetch_feed(task_of(store))  # no write lock held while a store's system is slow
    with database.unit_of_work() as write:
        run = apply_fetched(session=write, fetched=[fetched], now=now, force=force)[0]
        record_audit(
            session=write,
            at=now,
            actor_role="operator",
            actor_id=operator.id,
            action="sync.forced" if force else "sync.run",
            target_type="store",
            target_id=store_id,
            city_id=store.city_id,
            new={"status": run.status, "rows_applied": run.rows_applied},
        )
    return run


def run_read(run: SyncRun) -> SyncRunRead:
    """A run as operators see it."""
    return SyncRunRead.model_validate(run, from_attributes=True)


def _store_read(
    store: Store, run: SyncRun | None, now: datetime, speed: float, real_now: datetime
) -> SyncStoreRead:
    failed = run is not None and run.status != SyncStatus.OK
    due = next_run_at(
        store_id=store.id,
        interval_s=store.sync_interval_s,
        retry_at=store.sync_retry_at,
        now=now,
        speed=speed,
        real_now=real_now,
    )
    return SyncStoreRead(
        store_id=store.id,
        city_id=store.city_id,
        name=store.name,
        kind=store.adapter_kind,
        interval_s=store.sync_interval_s,
        last_success_at=store.last_synced_at,
        stock_fresh_until=store.stock_fresh_until,
        last_error=run.error if failed else None,
        last_run=run_read(run) if run else None,
        failures=store.sync_failures,
        backoff_until=store.sync_retry_at,
        next_run_at=due,
    )
