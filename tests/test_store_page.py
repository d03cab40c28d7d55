"""GET /v1/stores/{id} and its menu: what the shop page shows about one store."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from service.catalog.models import StoreStock
from service.stores.hours import next_opening
from service.stores.models import Store
from tests.support.factories import make_campaign, make_city, make_store

MILK, WATER, PHONE = "SUP-0003", "SUP-0004", "PHO-0002"


def test_a_store_page_shows_hours_terms_and_its_open_campaigns(client, session, clock):
    test_city = make_city(session, delivery_fee_fen=600)
    store = make_store(
        session,
        test_city,
        1.0,
        opening_hours={"mon": [["08:00", "22:00"]]},
        min_basket_fen=2000,
        prep_minutes=12,
    )
    session.commit()
    body = client.get(f"/v1/stores/{store.id}").json
    assert body["opening_hours"] == {"mon": [["08:00", "22:00"]]}
    assert body["timezone"] == "Asia/Shanghai" and body["delivery_fee_fen"] == 600
    assert body["min_basket_fen"] == 2000 and body["prep_minutes"] == 12
    assert body["taking_orders"] is True and body["campaigns"] == []
    if not body["open_now"]:
        assert body["next_opening"].endswith("+08:00") and "T08:00:00" in body["next_opening"]


def test_the_store_page_lists_the_campaigns_the_store_takes_part_in(client, session, clock):
    campaign, _ = make_campaign(session, clock.now())
    session.commit()
    of_city = select(Store.id).where(Store.city_id == campaign.city_id)
    store_id = session.execute(of_city).scalars().first()
    names = [c["name"] for c in client.get(f"/v1/stores/{store_id}").json["campaigns"]]
    assert campaign.name in names


def test_the_menu_shows_price_and_in_low_or_out_never_counts(client, session):
    test_city = make_city(session)
    store = make_store(
        session, test_city, 1.0, stock={MILK: (20, 6400), WATER: (3, 2880), PHONE: (0, 699900)}
    )
    session.commit()
    items = client.get(f"/v1/stores/{store.id}/products").json["items"]
    assert {i["sku"]: i["availability"] for i in items} == {MILK: "in", WATER: "low", PHONE: "out"}
    assert all(
        set(i) == {"sku", "name", "brand", "spec", "category", "price_fen", "availability"}
        for i in items
    )
    session.execute(update(StoreStock).where(StoreStock.store_id == store.id).values(reserved=0))
    menu = client.get(f"/v1/stores/{store.id}/products", query_string={"q": "牛奶"}).json
    assert [i["sku"] for i in menu["items"]] == [MILK]
    menu = client.get(
        f"/v1/stores/{store.id}/products", query_string={"category": "phones_digital"}
    )
    assert [i["sku"] for i in menu.json["items"]] == [PHONE]


def test_an_unknown_store_is_404(client):
    assert client.get("/v1/stores/999999").status_code == 404
    assert client.get("/v1/stores/999999/products").status_code == 404


def test_next_opening_is_the_next_interval_start():
    hours = {"mon": [["08:00", "22:00"]], "wed": [["09:30", "12:00"]]}
    monday_late = datetime(2026, 11, 23, 23, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert next_opening(hours, monday_late) == monday_late.replace(day=25, hour=9, minute=30)
    assert next_opening(hours, monday_late - timedelta(hours=5)) is None
    assert next_opening({"24h": True}, monday_late) is None
