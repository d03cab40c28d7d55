"""GET /v1/products/search: the catalogue's matches, each with the store an order would get."""

import pytest
from sqlalchemy import select, text, update

from service.catalog.models import Product, StoreStock
from service.catalog.search import matching_products
from service.stores.models import Store
from tests.support.factories import TEST_CENTRE, city, make_city, make_consumers, make_store
from tests.support.payments import place_and_pay

HERE = {"lat": TEST_CENTRE[0], "lon": TEST_CENTRE[1]}
WUYI_SQUARE = (28.195, 112.976)  # central Changsha
MILK, PHONE, WATER = "SUP-0003", "PHO-0002", "SUP-0004"  # 伊利纯牛奶, 华为 Mate 60 Pro, 农夫山泉


def search(client, **params):
    return client.get("/v1/products/search", query_string={**HERE, **params})


def skus(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [hit["product"]["sku"] for hit in response.json["results"]]


@pytest.fixture
def town(session):
    """Three stores north of the centre: 1 km, 2 km and 3 km away."""
    test_city = make_city(session)
    stores = [
        make_store(
            session,
            test_city,
            km,
            stock={MILK: (20, 6400 - km * 100), PHONE: (3, 699900), WATER: (9, 2880)},
        )
        for km in (1.0, 2.0, 3.0)
    ]
    session.commit()
    return test_city, stores


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("牛奶", "伊利纯牛奶 250ml×24"),
        ("纯牛奶", "伊利纯牛奶 250ml×24"),
        ("伊利纯牛", "伊利纯牛奶 250ml×24"),
        ("mate 60", "华为 Mate 60 Pro"),
        ("华为 Mate", "华为 Mate 60 Pro"),
        ("HUAWEI", "华为 Mate 60 Pro"),
        ("Coca", "可口可乐 330ml×24"),
        ("250ml×24", "伊利纯牛奶 250ml×24"),
        ("×24", "伊利纯牛奶 250ml×24"),
    ],
)
def test_queries_match_names_brands_and_specs_as_typed(session, q, expected):
    assert expected in [row.name for row in matching_products(session, q=q, category=None)]


def test_wildcards_in_a_query_are_plain_characters(session):
    assert matching_products(session, q="%", category=None) == []
    assert matching_products(session, q='"_"', category=None) == []


def test_three_characters_or_more_are_served_by_the_trigram_index(session):
    if session.get_bind().dialect.name == "sqlite":
        plan = session.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT rowid FROM products_search"
                " WHERE products_search MATCH '\"纯牛奶\"'"
            )
        ).all()
        assert "VIRTUAL TABLE INDEX" in str(plan)
        return
    session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = session.execute(
        text(
            "EXPLAIN SELECT id FROM products WHERE (products.name || ' ' ||"
            " products.brand || ' ' || products.spec || ' ' || products.keywords)"
            " ILIKE '%纯牛奶%'"
        )
    ).all()
    assert "ix_products_search_trgm" in str(plan)


def test_a_hit_names_the_nearest_store_its_price_and_the_spread(client, town):
    _, stores = town
    hits = search(client, q="牛奶").json["results"]
    assert [h["product"]["sku"] for h in hits] == [MILK]
    hit = hits[0]
    assert hit["store"]["id"] == stores[0].id and hit["price_fen"] == 6300
    assert hit["other_stores"] == 2 and hit["lowest_price_fen"] == 6100
    assert hit["availability"] == "in" and hit["store"]["eta_minutes"] == 14
    assert set(hit) == {
        "product",
        "store",
        "price_fen",
        "availability",
        "other_stores",
        "lowest_price_fen",
    }


def test_stock_shows_only_as_in_or_low(client, town):
    hits = search(client, category="phones_digital").json["results"]
    assert hits[0]["availability"] == "low" and "on_hand" not in str(hits)


def test_a_product_out_of_stock_at_every_reachable_store_does_not_appear(client, session, town):
    _, stores = town
    for store in stores:
        session.execute(
            update(StoreStock)
            .where(StoreStock.store_id == store.id, StoreStock.product_id == _id(session, MILK))
            .values(reserved=20)
        )
    session.commit()
    assert MILK not in skus(search(client, category="supermarket"))
    assert skus(search(client, q="牛奶")) == []


@pytest.mark.parametrize(
    "refusal",
    [
        {"paused": True},
        {"active": False},
        {"open_orders": 20},
        {"opening_hours": {"mon": [["03:00", "03:01"]]}},
        {"delivery_radius_km": 0.5},
    ],
)
def test_a_store_matching_would_refuse_lends_no_availability(client, session, town, refusal):
    _, stores = town
    for field, value in refusal.items():
        setattr(stores[0], field, value)
    session.commit()
    hit = search(client, q="牛奶").json["results"][0]
    assert hit["store"]["id"] == stores[1].id and hit["other_stores"] == 1


def test_the_minimum_basket_is_shown_not_applied(client, session, town):
    _, stores = town
    stores[0].min_basket_fen = 10**6
    session.commit()
    hit = search(client, q="牛奶").json["results"][0]
    assert hit["store"]["id"] == stores[0].id and hit["store"]["min_basket_fen"] == 10**6


def test_sort_by_price_and_cursor_pages_stay_put_while_stock_changes(client, session, town):
    by_price = skus(search(client, category="supermarket", sort="price"))
    assert by_price == [WATER, MILK]
    page1 = search(client, category="supermarket", sort="price", limit=1).json
    assert [h["product"]["sku"] for h in page1["results"]] == [WATER]
    session.execute(
        update(StoreStock).where(StoreStock.product_id == _id(session, WATER)).values(on_hand=0)
    )
    session.commit()  # the first page's product sold out everywhere: the next page is unmoved
    page2 = search(
        client, category="supermarket", sort="price", limit=1, cursor=page1["next_cursor"]
    )
    assert skus(page2) == [MILK] and page2.json["next_cursor"] is None


def test_bad_searches_are_422(client, town):
    page1 = search(client, category="supermarket", limit=1).json
    cases = [
        {"q": "x" * 65},
        {},
        {"q": "  "},
        {"category": "bakery", "cursor": page1["next_cursor"]},
        {"category": "supermarket", "cursor": "not-a-cursor"},
        {"q": "牛奶", "lat": 0, "lon": 0},
    ]
    for params in cases:
        response = search(client, **params)
        assert response.status_code == 422, (params, response.json)
        assert response.json["error"]["message"]


def test_the_best_store_is_the_store_an_order_placed_now_gets(client, session, clock):
    changsha = city(session)
    session.execute(update(Store).where(Store.city_id == changsha.id).values(min_basket_fen=0))
    [(_, token)] = make_consumers(session, 1, clock.now())
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    checked = 0
    for n in range(8):  # a ring of points around the centre of Changsha
        point = {
            "lat": WUYI_SQUARE[0] + 0.01 * (n % 3 - 1),
            "lon": WUYI_SQUARE[1] + 0.01 * (n // 3 - 1),
        }
        hits = search(client, category="supermarket", **point).json["results"]
        for hit in hits[:2]:
            body = {
                "items": [{"sku": hit["product"]["sku"], "qty": 1}],
                "payment_method": "wechat",
                "address": "五一大道1号",
                **point,
            }
            placed = place_and_pay(client, body, headers, f"k{n}{checked}")
            assert placed.status_code == 201, placed.json
            assert placed.json["order"]["store"]["id"] == hit["store"]["id"], (point, hit)
            checked += 1
    assert checked >= 10


def _id(session, sku: str) -> int:
    return session.execute(select(Product.id).where(Product.sku == sku)).scalar_one()
