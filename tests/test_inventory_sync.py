"""Inventory sync applies feeds in bulk, refuses truncated ones and keeps orders' reservations."""

from datetime import timedelta

import pytest

from service.catalog.models import StoreStock
from service.sync.service import backoff_s, sync_tasks, task_of
from tests.support.factories import make_city, make_store
from tests.support.feed_server import API_KEY, feed_server
from tests.support.inventory import FEED, csv_store, stock_of, sync


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
