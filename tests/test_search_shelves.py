"""Search's in-memory shelves stay live: every stock write moves the store's stock version,
and a change made after a search shows in the very next one."""

import time
from contextlib import contextmanager
from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import delete, event, insert, select, update

from service.catalog import shelves, warmup
from service.catalog.models import Product, StoreStock
from service.orders import stock
from service.stores.models import Store
from service.sync.bulk import StoreFeed, apply_feeds
from service.tablet.switches import set_sku
from tests.support.factories import TEST_CENTRE, make_city, make_store

HERE = {"lat": TEST_CENTRE[0], "lon": TEST_CENTRE[1]}
MILK, WATER = "SUP-0003", "SUP-0004"


@pytest.fixture
def town(session):
    """Two stores north of the centre, 1 km and 2 km away, both selling milk and water."""
    test_city = make_city(session)
    stores = [
        make_store(session, test_city, km, stock={MILK: (2, 6400), WATER: (9, 2880)})
        for km in (1.0, 2.0)
    ]
    session.commit()
    return test_city, stores


def milk(client) -> dict | None:
    """The milk hit of a search for it near the centre, or None."""
    response = client.get("/v1/products/search", query_string={**HERE, "q": "牛奶"})
    assert response.status_code == 200, response.json
    return next(iter(response.json["results"]), None)


@contextmanager
def stock_reads(db):
    """The statements run meanwhile that read store_stock (the shelves' own reads)."""
    seen = []

    def record(_conn, _cursor, statement, *_args):
        if "store_stock" in statement:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def version(session, store) -> int:
    return session.execute(select(Store.stock_version).where(Store.id == store.id)).scalar_one()


def product_id(session, sku: str) -> int:
    return session.execute(select(Product.id).where(Product.sku == sku)).scalar_one()


def test_every_write_to_a_stores_stock_moves_its_version_and_only_its(session, town):
    test_city, (near, far) = town
    before = version(session, near), version(session, far)
    session.execute(update(StoreStock).where(StoreStock.store_id == near.id).values(reserved=1))
    updated = version(session, near)
    assert updated > before[0]
    session.execute(delete(StoreStock).where(StoreStock.store_id == near.id))
    deleted = version(session, near)
    assert deleted > updated
    row = {
        "city_id": test_city.id,
        "store_id": near.id,
        "product_id": product_id(session, MILK),
        "on_hand": 3,
        "price_fen": 6000,
    }
    session.execute(insert(StoreStock), [row])
    assert version(session, near) > deleted
    assert version(session, far) == before[1]


def test_a_sale_after_a_search_shows_in_the_next_search(client, session, town, clock):
    _, (near, far) = town
    assert milk(client)["store"]["id"] == near.id
    assert stock.reserve(session, near.id, {product_id(session, MILK): 2}, clock.now())
    session.commit()
    hit = milk(client)
    assert hit["store"]["id"] == far.id and hit["other_stores"] == 0


def test_the_last_unit_sold_everywhere_takes_the_product_out_of_the_next_search(
    client, session, town
):
    assert milk(client) is not None
    session.execute(
        update(StoreStock)
        .where(StoreStock.product_id == product_id(session, MILK))
        .values(on_hand=0)
    )
    session.commit()
    assert milk(client) is None


def test_a_pause_after_a_search_shows_in_the_next_search(client, session, town):
    _, (near, far) = town
    assert milk(client)["other_stores"] == 1
    near.paused = True
    session.commit()
    hit = milk(client)
    assert hit["store"]["id"] == far.id and hit["other_stores"] == 0


def test_a_sync_after_a_search_shows_in_the_next_search(client, session, town, clock):
    test_city, (near, far) = town
    assert milk(client)["price_fen"] == 6400
    feed = StoreFeed(
        store_id=near.id,
        city_id=test_city.id,
        full=False,
        rows=[(product_id(session, MILK), 7, 5900)],
    )
    apply_feeds(session.connection(), [feed], now=clock.now())
    session.commit()
    hit = milk(client)
    assert hit["store"]["id"] == near.id and hit["price_fen"] == 5900
    assert hit["availability"] == "in" and hit["lowest_price_fen"] == 5900


def test_a_sku_switched_off_shows_at_once_and_comes_back_when_its_switch_runs_out(
    client, session, town, clock
):
    _, (near, far) = town
    assert milk(client)["store"]["id"] == near.id
    set_sku(session=session, store_id=near.id, sku=MILK, unavailable=True, now=clock.now())
    session.commit()
    assert milk(client)["store"]["id"] == far.id
    clock.advance(days=2)  # past the switch's end: no write, the time alone brings it back
    assert milk(client)["store"]["id"] == near.id


def test_rows_read_at_an_older_version_never_replace_newer_ones():
    current = shelves.Shelves()
    assert current.stale([7], [2]) == [(7, 2)]
    current.apply([(7, 2)], np.array([[7, 1, 5, 100]]), [])
    current.apply([(7, 1)], np.array([[7, 1, 0, 100]]), [])  # a slower reader, older rows
    _, available, price = current.take([7], [1], datetime(2026, 1, 1, tzinfo=UTC))
    assert available.tolist() == [[5]] and price.tolist() == [[100]]
    assert current.stale([7], [2]) == [] and current.stale([7], [3]) == [(7, 3)]


def test_a_sku_sold_out_everywhere_and_switched_off_somewhere_is_simply_absent(
    client, session, town, clock
):
    _, (near, _) = town
    session.execute(
        update(StoreStock)
        .where(StoreStock.product_id == product_id(session, MILK))
        .values(reserved=2)
    )
    set_sku(session=session, store_id=near.id, sku=MILK, unavailable=True, now=clock.now())
    session.commit()
    assert milk(client) is None


def test_a_worker_warmed_at_start_reads_no_stock_in_a_search_yet_sees_the_next_sale(
    client, db, session, town, clock
):
    _, (near, far) = town
    warmup.bring_current(db)
    with stock_reads(db) as reads:
        assert milk(client)["store"]["id"] == near.id
    assert reads == []
    assert stock.reserve(session, near.id, {product_id(session, MILK): 2}, clock.now())
    session.commit()
    with stock_reads(db) as reads:  # the search itself reads the one store whose version moved
        hit = milk(client)
    assert hit["store"]["id"] == far.id and hit["other_stores"] == 0
    assert reads


def test_the_refresh_pass_reads_a_moved_store_before_any_search_needs_it(
    client, db, session, town, clock
):
    _, (near, far) = town
    warmup.bring_current(db)
    assert stock.reserve(session, near.id, {product_id(session, MILK): 2}, clock.now())
    session.commit()
    warmup.bring_current(db)
    with stock_reads(db) as reads:
        hit = milk(client)
    assert reads == []
    assert hit["store"]["id"] == far.id and hit["other_stores"] == 0


def test_the_refresh_pass_leaves_a_city_nobody_searched_lately_to_its_next_search(
    client, db, session, town, clock
):
    _, (near, far) = town
    warmup.bring_current(db)  # the start-up pass reads every city
    began = time.monotonic()
    assert stock.reserve(session, near.id, {product_id(session, MILK): 2}, clock.now())
    session.commit()
    with stock_reads(db) as reads:
        warmup.bring_current(db, searched_since=began)
    assert reads == []  # no search since: the moved store is left alone
    with stock_reads(db) as reads:
        hit = milk(client)
    assert reads and hit["store"]["id"] == far.id  # the search read it itself
    assert stock.reserve(session, far.id, {product_id(session, MILK): 1}, clock.now())
    session.commit()
    with stock_reads(db) as reads:
        warmup.bring_current(db, searched_since=began)
    assert reads  # searched since: kept current


def test_hours_edited_after_a_warm_up_show_once_the_refresh_pass_reads_them(
    client, db, session, town
):
    _, (near, far) = town
    warmup.bring_current(db)
    assert milk(client)["store"]["id"] == near.id
    near.opening_hours = {}  # closed every day
    session.commit()
    warmup.bring_current(db)
    hit = milk(client)
    assert hit["store"]["id"] == far.id and hit["other_stores"] == 0


def test_past_the_memory_bound_the_city_searched_least_lately_is_dropped_and_read_again(
    client, session, town, monkeypatch
):
    test_city, _ = town
    others = session.execute(
        select(Store.city_id, Store.id, Store.stock_version).where(Store.city_id != test_city.id)
    ).all()
    other_city = others[0].city_id
    other_stores = [(r.id, r.stock_version) for r in others if r.city_id == other_city]
    assert milk(client) is not None  # the test city's shelves are read by its first search
    assert shelves._cities.keys() == {test_city.id}
    monkeypatch.setattr(shelves, "max_bytes", lambda: 1)
    shelves.current(session, other_city, other_stores)  # another city read: over the bound
    assert shelves._cities.keys() == {other_city}
    assert milk(client)["store"]["name"]  # read again on its next search
    assert shelves._cities.keys() == {test_city.id}
