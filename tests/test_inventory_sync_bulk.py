"""Inventory sync's bulk write: the COPY and VALUES paths agree, a repeated feed rewrites only
the rows it changes, and a batch of stores is written as each alone would be."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from service.catalog.models import Product, StoreStock
from service.cities.models import City
from service.sync.service import sync_tasks
from tests.support.factories import make_city
from tests.support.inventory import FEED, csv_store, stock_of, sync


def test_copy_and_values_paths_write_the_same_rows(session, clock, tmp_path, monkeypatch):
    from service.sync import bulk

    first, path = csv_store(session, tmp_path)
    second, _ = csv_store(session, tmp_path, in_city=session.get(City, first.city_id))
    session.execute(StoreStock.__table__.update().values(reserved=2))
    path.write_text(FEED.format(extra="", rows=2))
    sync(session, first, clock.now())
    monkeypatch.setattr(bulk, "COPY_FROM", 1)  # PostgreSQL takes the COPY path even for 2 rows
    sync(session, second, clock.now())
    assert stock_of(session, first.id) == stock_of(session, second.id)
    assert stock_of(session, second.id)["BAK-0001"] == (30, 2, 5000)


@pytest.mark.parametrize("copy_from", [1, 10_000], ids=["copy", "values"])
def test_a_feed_repeating_the_stock_rewrites_only_the_rows_it_changes(
    session, clock, tmp_path, monkeypatch, copy_from
):
    from service.sync import bulk

    monkeypatch.setattr(bulk, "COPY_FROM", copy_from)  # PostgreSQL: either write path
    store, path = csv_store(session, tmp_path)
    path.write_text(FEED.format(extra="BAK-0003,5,1200\n", rows=3))
    first = clock.now()
    assert sync(session, store, first).rows_changed == 2  # BAK-0001 changed, BAK-0002 added
    path.write_text(FEED.format(extra="BAK-0003,6,1200\n", rows=3))  # one shelf moved
    run = sync(session, store, first + timedelta(minutes=5))
    stamps = dict(
        session.execute(
            select(Product.sku, StoreStock.synced_at)
            .join(StoreStock)
            .where(StoreStock.store_id == store.id)
        ).all()
    )
    assert (run.status, run.rows_applied, run.rows_changed) == ("ok", 3, 1)  # applied: all valid
    assert stamps == {
        "BAK-0001": first,
        "BAK-0002": first,
        "BAK-0003": first + timedelta(minutes=5),
    }
    assert stock_of(session, store.id)["BAK-0003"] == (6, 0, 1200)


def test_a_batch_of_stores_is_written_as_each_alone_would_be(
    session, db, clock, tmp_path, monkeypatch
):
    from service.sync import bulk
    from service.sync.jobs import sync_many

    monkeypatch.setattr(bulk, "COPY_FROM", 1)  # PostgreSQL: the one COPY for the whole batch
    town = make_city(session)
    stores = [csv_store(session, tmp_path / str(n), in_city=town)[0] for n in range(3)]
    feeds = [
        FEED.format(extra="", rows=2),
        FEED.format(extra="BAK-0003,7,1300\n", rows=3),
        FEED.format(extra="", rows=2).rsplit("#", 1)[0],
    ]
    for store, text in zip(stores, feeds, strict=True):
        (tmp_path / str(stores.index(store)) / "feed.csv").write_text(text)
    before = stock_of(session, stores[2].id)
    session.commit()
    tasks = sync_tasks(session, store_ids=[s.id for s in stores])
    runs = [run for _, run in sync_many(db, tasks, now=clock.now(), batch_rows=10_000)]
    assert [(r.status, r.rows_applied, r.rows_zeroed) for r in runs] == [
        ("ok", 2, 1),
        ("ok", 3, 0),
        ("refused", 0, 0),
    ]
    full = {"BAK-0001": (30, 0, 5000), "BAK-0002": (8, 0, 2600), "BAK-0003": (0, 0, 1200)}
    assert stock_of(session, stores[0].id) == full
    assert stock_of(session, stores[1].id)["BAK-0003"] == (7, 0, 1300)
    assert stock_of(session, stores[2].id) == before


def test_a_failed_batch_is_written_store_by_store(session, db, clock, tmp_path, monkeypatch):
    from service.sync import service
    from service.sync.jobs import sync_many

    town = make_city(session)
    stores = [csv_store(session, tmp_path / str(n), in_city=town)[0] for n in range(2)]
    for n in range(2):
        (tmp_path / str(n) / "feed.csv").write_text(FEED.format(extra="", rows=2))
    session.commit()
    real = service.apply_feeds

    def only_one_store(connection, feeds, *, now):
        assert len(feeds) == 1, "a batch write failing midway"
        return real(connection, feeds, now=now)

    monkeypatch.setattr(service, "apply_feeds", only_one_store)
    tasks = sync_tasks(session, store_ids=[s.id for s in stores])
    runs = [run for _, run in sync_many(db, tasks, now=clock.now(), batch_rows=10_000)]
    assert [r.status for r in runs] == ["ok", "ok"]
    assert all(stock_of(session, s.id)["BAK-0001"] == (30, 0, 5000) for s in stores)
