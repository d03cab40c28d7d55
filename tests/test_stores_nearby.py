"""GET /v1/stores/nearby: stores that deliver to a point, nearest first, with open_now."""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from service.geo import exact_km
from service.stores.models import Store

WUYI_SQUARE = (28.195, 112.976)  # central Changsha
SHANGHAI = ZoneInfo("Asia/Shanghai")


def nearby(client, **params):
    query = {"lat": WUYI_SQUARE[0], "lon": WUYI_SQUARE[1], "radius_km": 3, **params}
    return client.get("/v1/stores/nearby", query_string=query)


def test_changsha_stores_come_nearest_first_within_reach(client):
    response = nearby(client, limit=100)
    assert response.status_code == 200
    body = response.json
    assert body["city"] == "changsha"
    distances = [s["distance_km"] for s in body["stores"]]
    assert len(distances) > 10
    assert distances == sorted(distances)
    for store in body["stores"]:
        assert store["distance_km"] <= min(3, store["delivery_radius_km"]) + 1e-9
        exact = exact_km(WUYI_SQUARE, (store["lat"], store["lon"]))
        assert abs(exact - store["distance_km"]) < 0.001


def test_a_store_whose_radius_does_not_reach_the_point_is_left_out(client, session):
    far = session.exec(select(Store).where(Store.name.like("%五一广场%"))).first()
    far.lat, far.lon, far.delivery_radius_km = WUYI_SQUARE[0] + 0.018, WUYI_SQUARE[1], 1.0
    session.commit()  # about 2 km away, delivers only 1 km
    ids = {s["id"] for s in nearby(client, limit=100).json["stores"]}
    assert far.id not in ids


def test_open_filter_at_3am_keeps_only_24h_stores(client, clock):
    clock.set(datetime(2026, 6, 17, 3, 0, tzinfo=SHANGHAI))
    everything = nearby(client, limit=100).json["stores"]
    open_ones = nearby(client, limit=100, open=1).json["stores"]
    assert open_ones and len(open_ones) < len(everything)
    assert all(s["open_now"] and s["open_24h"] for s in open_ones)
    assert any(not s["open_now"] for s in everything)


def test_evening_restaurants_are_open_past_midnight(client, clock):
    clock.set(datetime(2026, 6, 17, 1, 0, tzinfo=SHANGHAI))
    restaurants = nearby(client, category="restaurant", radius_km=5, limit=100).json["stores"]
    assert restaurants and all(s["open_now"] for s in restaurants)


def test_category_filter_keeps_that_category(client):
    stores = nearby(client, category="bakery", limit=100).json["stores"]
    assert stores and all("bakery" in s["categories"] for s in stores)


def test_paused_stores_are_not_listed(client, session):
    first = nearby(client).json["stores"][0]
    session.get(Store, first["id"]).paused = True
    session.commit()
    assert first["id"] not in {s["id"] for s in nearby(client).json["stores"]}


def test_a_point_outside_every_city_is_422_outside_service_area(client):
    response = client.get("/v1/stores/nearby", query_string={"lat": 31.0, "lon": 121.0})
    assert response.status_code == 422
    assert response.json["error"]["code"] == "outside_service_area"
