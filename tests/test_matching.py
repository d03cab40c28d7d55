"""Matching an order to a store: the best store wins, and every skipped store is counted."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from service.campaigns.models import CampaignStore
from tests.support.factories import (
    TEST_CENTRE,
    make_campaign,
    make_city,
    make_consumers,
    make_store,
)
from tests.support.payments import place_and_pay

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOME = {"lat": TEST_CENTRE[0], "lon": TEST_CENTRE[1], "address": "测试路100号"}


@pytest.fixture
def town(session, clock):
    test_city = make_city(session)
    ((consumer_id, token),) = make_consumers(session, 1, clock.now())
    session.commit()
    return test_city, {"Authorization": f"Bearer {token}"}, consumer_id


def order(client, headers, key="k", items=(("BAK-0001", 1),), **extra):
    body = {
        "items": [{"sku": s, "qty": q} for s, q in items],
        "payment_method": "wechat",
        **HOME,
        **extra,
    }
    return place_and_pay(client, body, headers, key)


def refused_reasons(response) -> dict:
    assert response.status_code == 409, response.json
    assert response.json["error"]["code"] == "no_store_available"
    return response.json["error"]["reasons"]


def test_nearest_store_wins_when_all_else_is_equal(client, session, town):
    test_city, headers, _ = town
    far = make_store(session, test_city, 2.0)
    near = make_store(session, test_city, 1.0)
    session.commit()
    placed = order(client, headers)
    assert placed.status_code == 201, placed.json
    assert placed.json["order"]["store"]["id"] == near.id != far.id
    assert abs(placed.json["order"]["store"]["distance_km"] - 1.0) < 0.01


def test_faster_preparation_beats_a_nearer_store(client, session, town):
    test_city, headers, _ = town
    make_store(session, test_city, 1.0, prep_minutes=40)
    quick = make_store(session, test_city, 2.0, prep_minutes=5)
    session.commit()
    assert order(client, headers).json["order"]["store"]["id"] == quick.id


def test_each_failed_check_is_counted_once_under_its_first_reason(client, session, clock, town):
    test_city, headers, _ = town
    make_store(session, test_city, 0.5, paused=True)
    make_store(session, test_city, 0.6, opening_hours={})  # never open
    make_store(session, test_city, 7.0)  # delivers 5 km only
    make_store(session, test_city, 0.7, min_basket_fen=10_000)
    make_store(session, test_city, 0.8, max_open_orders=1, open_orders=1)
    make_store(session, test_city, 4.9, prep_minutes=45)  # 45 + 19.6 min > 60
    make_store(session, test_city, 0.9, stock={"BAK-0001": (0, 4800)})
    session.commit()
    assert refused_reasons(order(client, headers)) == {
        "paused": 1,
        "closed": 1,
        "out_of_radius": 1,
        "below_min_basket": 1,
        "at_capacity": 1,
        "too_late": 1,
        "out_of_stock": 1,
    }


def test_a_store_closing_before_preparation_ends_is_closed(client, session, clock, town):
    test_city, headers, _ = town
    today = clock.now().astimezone(SHANGHAI).replace(hour=21, minute=55)
    clock.set(today)
    every_day = {d: [["08:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    make_store(session, test_city, 1.0, opening_hours=every_day, prep_minutes=10)
    session.commit()
    assert refused_reasons(order(client, headers)) == {"closed": 1}


def test_overnight_hours_keep_a_store_open_after_midnight(client, session, clock, town):
    test_city, headers, _ = town
    night = {d: [["18:00", "03:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    store = make_store(session, test_city, 1.0, opening_hours=night)
    session.commit()
    clock.set(datetime(2026, 6, 17, 1, 0, tzinfo=SHANGHAI))
    assert order(client, headers).json["order"]["store"]["id"] == store.id
    clock.set(datetime(2026, 6, 17, 12, 0, tzinfo=SHANGHAI))
    assert refused_reasons(order(client, headers, key="k2")) == {"closed": 1}


def test_a_coupon_limits_matching_to_its_campaigns_stores(client, session, clock, town):
    test_city, headers, consumer_id = town
    outside = make_store(session, test_city, 0.5)
    member = make_store(session, test_city, 2.0)
    campaign, _ = make_campaign(
        session, clock.now(), code="testville", all_stores=False, pack=((0, 500, 1),)
    )
    session.add(CampaignStore(campaign_id=campaign.id, store_id=member.id, city_id=test_city.id))
    session.commit()
    claimed = client.post(
        f"/v1/campaigns/{campaign.id}/claim",
        headers=headers,
        json={"lat": HOME["lat"], "lon": HOME["lon"]},
    )
    coupon_id = claimed.json["coupons"][0]["id"]
    placed = order(client, headers, coupon_id=coupon_id)
    assert placed.json["order"]["store"]["id"] == member.id != outside.id
    assert placed.json["order"]["coupon_fen"] == 500
    only_outside = order(client, headers, key="k2", coupon_id=coupon_id, store_id=outside.id)
    assert refused_reasons(only_outside) == {"not_in_campaign": 1}


def test_naming_a_store_tries_only_that_store(client, session, town):
    test_city, headers, _ = town
    make_store(session, test_city, 1.0)
    named = make_store(session, test_city, 3.0)
    session.commit()
    assert order(client, headers, store_id=named.id).json["order"]["store"]["id"] == named.id


def test_an_address_outside_every_city_is_422(client, town):
    _, headers, _ = town
    response = order(client, headers, lat=10.0, lon=10.0)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "outside_service_area"
