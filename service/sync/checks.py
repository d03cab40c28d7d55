"""What a store's feed must pass before it is applied: SKUs the catalogue knows, each listed
once in a full snapshot, and no full snapshot cut to under half of the store's last good one
(service.sync.service applies what passes)."""

from collections import Counter
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import Session, col, select

from service import caches
from service.catalog.models import Product, StoreStock
from service.sync.bulk import StoreFeed
from service.sync.models import SyncRun, SyncStatus
from store_adapters import StockSnapshot

if TYPE_CHECKING:
    from service.sync.service import Fetched, SyncTask

TRUNCATED_BELOW = 0.5  # of the last good full snapshot's rows
# SKU -> product id for every sync of the process: a 1,000-SKU IN list cost more than the upsert
# (psycopg parses each long query). A SKU new to the catalogue is rejected as unknown for at
# most a minute, then applied by the store's next run.
_catalogue = caches.ttl_cache(maxsize=1, ttl=60)


def accepted_feeds(
    session: Session, fetched: list["Fetched"], runs: list[SyncRun], force: bool
) -> dict[int, StoreFeed]:
    """The validated feed of every store whose snapshot is not refused, by store id; counts
    read and rejected rows, and refusals, on each store's run."""
    read = [item for item in fetched if item.snapshot is not None]
    baselines = (
        {} if force else _baselines(session, [i.task.store_id for i in read if i.snapshot.full])
    )
    by_store = {run.store_id: run for run in runs}
    feeds = {}
    for item in read:
        run, snapshot = by_store[item.task.store_id], item.snapshot
        feed, rejected = _valid_feed(session, item.task, snapshot)
        run.rows_read = len(snapshot.rows) + len(snapshot.rejected)
        run.rows_rejected = rejected
        refusal = (
            None if force else _truncation(snapshot, run.rows_read, baselines.get(run.store_id))
        )
        if refusal:
            run.status, run.error = SyncStatus.REFUSED, refusal
        else:
            feeds[run.store_id] = feed
    return feeds


def _valid_feed(
    session: Session, task: "SyncTask", snapshot: StockSnapshot
) -> tuple[StoreFeed, int]:
    """The known SKUs' rows as a StoreFeed, and the rejected count.

    A full snapshot listing a SKU twice is ambiguous: both lines are rejected, and that
    product (like one named on a bad line) is left as it was rather than zeroed. In a delta
    feed a later change supersedes an earlier one.
    """
    counts = Counter(row.sku for row in snapshot.rows)
    ids = _product_ids(session)
    twice = {sku for sku, n in counts.items() if n > 1} if snapshot.full else set()
    rows = {
        ids[r.sku]: (ids[r.sku], r.on_hand, r.price_fen)
        for r in snapshot.rows
        if r.sku in ids and r.sku not in twice
    }
    unknown = sum(n for sku, n in counts.items() if sku not in ids)
    doubled = sum(counts[sku] for sku in twice if sku in ids)
    keep = {ids[sku] for sku in twice | snapshot.unsure if sku in ids}
    feed = StoreFeed(
        store_id=task.store_id,
        city_id=task.city_id,
        rows=list(rows.values()),
        keep=keep,
        full=snapshot.full,
    )
    return feed, len(snapshot.rejected) + unknown + doubled


def _product_ids(session: Session) -> dict[str, int]:
    load = lambda: dict(session.exec(select(Product.sku, Product.id)).all())  # noqa: E731
    return caches.get_or_load(_catalogue, "all", load)


def _baselines(session: Session, store_ids: list[int]) -> dict[int, tuple[int, str]]:
    """Per store, the rows a full snapshot is measured against: the last good full snapshot's,
    or for a first feed the rows the store holds now."""
    if not store_ids:
        return {}
    latest = (
        select(func.max(SyncRun.id))
        .where(
            col(SyncRun.store_id).in_(store_ids),
            SyncRun.feed == "full",
            SyncRun.status == SyncStatus.OK,
        )
        .group_by(col(SyncRun.store_id))
    )
    last = session.exec(
        select(SyncRun.store_id, SyncRun.rows_read).where(col(SyncRun.id).in_(latest))
    ).all()
    found = {store_id: (rows, "rows of the last good snapshot") for store_id, rows in last}
    first = [store_id for store_id in store_ids if store_id not in found]
    if first:
        held = session.exec(
            select(StoreStock.store_id, func.count())
            .where(col(StoreStock.store_id).in_(first))
            .group_by(col(StoreStock.store_id))
        ).all()
        found |= {store_id: (rows, "rows the store holds") for store_id, rows in held}
    return found


def _truncation(snapshot: StockSnapshot, read: int, baseline: tuple[int, str] | None) -> str | None:
    """Why the feed looks cut off, or None."""
    if not snapshot.complete:
        return "feed cut off before its completeness mark"
    if not snapshot.full or baseline is None:
        return None
    last, what = baseline
    if last and read < last * TRUNCATED_BELOW:
        return f"feed has {read} rows, under half of the {last} {what}"
    return None
