"""Inventory sync applies feeds in bulk, refuses truncated ones and keeps orders' reservations."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from service.catalog.models import Product, StoreStock
from service.cities.models import City
from service.sync.models import SyncRun
from service.sync.service import backoff_s, run_sync, sync_tasks, task_of
from tests.support.factories import make_city, make_store
from tests.support.feed_server import API_KEY, feed_server

FEED = "sku,on_hand,price_fen\nBAK-0001,30,5000\nBAK-0002,8,2600\n{extra}#rows={rows}\n"


def stock_of(session, store_id) -> dict:
    rows = session.execute(
        select(Product.sku, StoreStock.on_hand, StoreStock.reserved, StoreStock.price_fen)
        .join(StoreStock)
        .where(StoreStock.store_id == store_id)
    ).all()
    return {sku: (on_hand, reserved, price) for sku, on_hand, reserved, price in rows}


def csv_store(session, tmp_path, in_city=None, **stock):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "feed.csv"
    store = make_store(
        session,
        in_city or make_city(session),
        1.0,
        adapter_kind="csv",
        adapter_settings={"path": str(path)},
        sync_interval_s=60,
        stock=stock or {"BAK-0001": (10, 4800), "BAK-0003": (5, 1200)},
    )
    return store, path


def sync(session, store, now, **options) -> SyncRun:
    session.refresh(store)
    return run_sync(session=session, task=task_of(store), now=now, **options)


def test_full_snapshot_sets_stock_and_zeroes_missing_skus_but_never_reserved(
    session, clock, tmp_path
):
    store, path = csv_store(session, tmp_path)
    session.execute(StoreStock.__table__.update().values(reserved=4))
    path.write_text(FEED.format(extra="", rows=2))
    run = sync(session, store, clock.now())
    assert (run.status, run.rows_read, run.rows_applied, run.rows_zeroed) == ("ok", 2, 2, 1)
    assert stock_of(session, store.id) == {
        "BAK-0001": (30, 4, 5000),
        "BAK-0002": (8, 0, 2600),
        "BAK-0003": (0, 4, 1200),
    }


def test_bad_rows_are_rejected_and_counted_never_fatal(session, clock, tmp_path):
    store, path = csv_store(session, tmp_path)
    bad = "NOPE-0001,3,100\nBAK-0004,-1,100\nBAK-0005,x,100\nBAK-0006,1\nBAK-0002,9,2600\n"
    path.write_text(FEED.format(extra=bad, rows=7))
    run = sync(session, store, clock.now())
    # unknown SKU, negative, non-numeric, missing field, and BAK-0002 listed twice (both lines)
    assert (run.status, run.rows_read, run.rows_applied, run.rows_rejected) == ("ok", 7, 1, 6)
    assert stock_of(session, store.id)["BAK-0001"] == (30, 0, 5000)
    assert "BAK-0002" not in stock_of(session, store.id)
    assert run.rows_zeroed == 1  # BAK-0003, which the feed did not list


def test_a_sku_on_a_bad_line_keeps_its_stock_rather_than_going_to_zero(session, clock, tmp_path):
    store, path = csv_store(session, tmp_path)
    path.write_text(FEED.format(extra="BAK-0003,lots,1200\n", rows=3))
    run = sync(session, store, clock.now())
    assert (run.status, run.rows_rejected, run.rows_zeroed) == ("ok", 1, 0)
    assert stock_of(session, store.id)["BAK-0003"] == (5, 0, 1200)


def test_feed_cut_off_before_its_trailer_leaves_stock_exactly_as_it_was(session, clock, tmp_path):
    store, path = csv_store(session, tmp_path)
    before = stock_of(session, store.id)
    path.write_text(FEED.format(extra="", rows=2).rsplit("#", 1)[0])
    run = sync(session, store, clock.now())
    assert run.status == "refused" and "completeness" in run.error
    assert stock_of(session, store.id) == before
    forced = sync(session, store, clock.now() + timedelta(seconds=1), force=True)
    assert forced.status == "ok" and forced.forced
    assert stock_of(session, store.id)["BAK-0001"] == (30, 0, 5000)


def test_snapshot_under_half_the_last_good_one_is_refused(session, clock, tmp_path):
    store, path = csv_store(session, tmp_path)
    many = "".join(f"BAK-000{n},1,100\n" for n in range(3, 7))
    path.write_text(FEED.format(extra=many, rows=6))
    assert sync(session, store, clock.now()).status == "ok"
    before = stock_of(session, store.id)
    path.write_text(FEED.format(extra="", rows=2))
    run = sync(session, store, clock.now() + timedelta(seconds=1))
    assert run.status == "refused" and "under half" in run.error
    assert stock_of(session, store.id) == before


def test_empty_first_feed_of_a_stocked_store_is_refused(session, clock, tmp_path):
    store, path = csv_store(session, tmp_path)
    before = stock_of(session, store.id)
    path.write_text("sku,on_hand,price_fen\n#rows=0\n")
    run = sync(session, store, clock.now())
    assert run.status == "refused" and "rows the store holds" in run.error
    assert stock_of(session, store.id) == before


def test_failed_feed_backs_off_and_never_shows_credentials(session, clock):
    store = make_store(
        session,
        make_city(session),
        1.0,
        adapter_kind="json_api",
        adapter_settings={
            "base_url": "http://127.0.0.1:9",
            "api_key": "sk-SECRET",
            "retries": 0,
            "timeout_s": 0.5,
        },
    )
    before = stock_of(session, store.id)
    run = sync(session, store, clock.now())
    assert run.status == "failed" and "sk-SECRET" not in run.error
    assert stock_of(session, store.id) == before
    assert store.sync_failures == 1
    assert store.sync_retry_at == clock.now() + timedelta(seconds=backoff_s(300, 1))
    assert sync_tasks(session, store_ids=[store.id], due_at=clock.now()) == []
    assert "sk-SECRET" not in repr(task_of(store))


def test_backoff_doubles_and_is_capped():
    assert [backoff_s(60, n) for n in (1, 2, 3, 10)] == [120, 240, 480, 3600]


def test_delta_feed_applies_changes_only_and_resumes_from_its_cursor(session, clock):
    with feed_server() as server:
        store = make_store(
            session,
            make_city(session),
            1.0,
            adapter_kind="delta",
            adapter_settings={"base_url": server.url, "api_key": API_KEY},
            stock={"BAK-0001": (10, 4800), "BEA-0001": (1, 108000)},
        )
        run = sync(session, store, clock.now())
        assert (run.status, run.feed, run.rows_zeroed, run.cursor) == ("ok", "delta", 0, "c3")
        assert stock_of(session, store.id) == {
            "BAK-0001": (10, 0, 4800),
            "BEA-0001": (4, 0, 108000),
            "BEA-0002": (7, 0, 29900),
            "BEA-0003": (9, 0, 15900),
        }
        assert store.sync_cursor == "c3"
        again = sync(session, store, clock.now() + timedelta(seconds=1))
        assert (again.rows_read, again.cursor) == (0, "c3")


def test_a_price_change_does_not_change_an_order_already_placed(client, session, clock, tmp_path):
    from tests.support.factories import make_consumers
    from tests.test_matching import order

    store, path = csv_store(session, tmp_path)
    ((_, token),) = make_consumers(session, 1, clock.now())
    session.commit()
    placed = order(client, {"Authorization": f"Bearer {token}"})
    assert placed.status_code == 201, placed.json
    path.write_text(FEED.format(extra="BAK-0003,5,1200\n", rows=3))
    sync(session, store, clock.now())
    session.commit()
    shown = client.get(
        f"/v1/orders/{placed.json['order']['id']}", headers={"Authorization": f"Bearer {token}"}
    )
    assert shown.json["payable_fen"] == placed.json["order"]["payable_fen"]
    assert stock_of(session, store.id)["BAK-0001"] == (30, 1, 5000)


@pytest.mark.parametrize("kind", ["manual"])
def test_manual_stores_are_not_sync_tasks(session, kind):
    assert all(task.kind != kind for task in sync_tasks(session))


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
