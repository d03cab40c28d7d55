"""Platform operators run promotions; quotes follow a change; every change is audited."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from service.audit.models import AuditEvent
from tests.support.factories import TEST_CENTRE, city, make_city, make_consumers, make_store
from tests.test_campaign_admin import operator_headers
from tests.test_reports import operator_of

QUOTE = {
    "items": [{"sku": "BAK-0001", "qty": 2}],
    "payment_method": "wechat",
    "lat": TEST_CENTRE[0],
    "lon": TEST_CENTRE[1],
}


@pytest.fixture
def town(session, clock):
    place = make_city(session)
    make_store(session, place, 1.0, stock={"BAK-0001": (100, 4800)})
    ((_, token),) = make_consumers(session, 1, clock.now())
    session.commit()
    return place, {"Authorization": f"Bearer {token}"}


def body(clock, city_id, **overrides):
    now = clock.now()
    return {
        "name": "测试每满90减5",
        "kind": "every_threshold",
        "threshold_fen": 9000,
        "discount_fen": 500,
        "city_id": city_id,
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
        **overrides,
    }


def promotion_fen(client, consumer) -> int:
    quote = client.post("/v1/quote", json=QUOTE, headers=consumer)
    assert quote.status_code == 200, quote.json
    return (quote.json.get("promotion") or {}).get("discount_fen", 0)


def test_a_created_paused_resumed_and_ended_promotion_reaches_quotes(client, session, clock, town):
    place, consumer = town
    platform = operator_headers(session, clock)
    made = client.post("/v1/admin/promotions", json=body(clock, place.id), headers=platform)
    assert made.status_code == 201, made.json
    assert made.json["running"] is True
    assert made.json["starts_at"].endswith("+08:00")  # the city's zone at the edge
    assert promotion_fen(client, consumer) == 500
    path = f"/v1/admin/promotions/{made.json['id']}"
    assert client.patch(path, json={"paused": True}, headers=platform).json["running"] is False
    assert promotion_fen(client, consumer) == 0
    client.patch(path, json={"paused": False, "discount_fen": 800}, headers=platform)
    assert promotion_fen(client, consumer) == 800
    ended = client.patch(path, json={"end_now": True}, headers=platform)
    assert ended.status_code == 200 and ended.json["running"] is False
    assert promotion_fen(client, consumer) == 0
    actions = session.execute(
        select(AuditEvent.action, AuditEvent.new).where(AuditEvent.target_type == "promotion")
    ).all()
    assert [a for a, _ in actions] == ["promotion.create"] + ["promotion.update"] * 3
    assert actions[2][1] == {"paused": False, "discount_fen": 800}


def test_city_operators_read_their_citys_promotions_but_may_not_write(client, session, clock, town):
    place, consumer = town
    platform = operator_headers(session, clock)
    client.post("/v1/admin/promotions", json=body(clock, place.id), headers=platform)
    client.post(
        "/v1/admin/promotions",
        headers=platform,
        json=body(clock, city(session, "changsha").id, name="长沙专享"),
    )
    local = operator_of(session, clock, place.id)
    session.commit()
    names = {
        p["name"] for p in client.get("/v1/admin/promotions", headers=local).json["promotions"]
    }
    assert "测试每满90减5" in names and "长沙专享" not in names
    refused = client.post(
        "/v1/admin/promotions", json=body(clock, place.id, name="x"), headers=local
    )
    assert refused.status_code == 403
    assert client.get("/v1/admin/promotions", headers=consumer).status_code == 403


@pytest.mark.parametrize(
    "change", [{"discount_fen": 9500}, {"ends_at": "2020-01-01T00:00:00+08:00"}]
)
def test_nonsense_promotions_are_422(client, session, clock, town, change):
    platform = operator_headers(session, clock)
    made = client.post("/v1/admin/promotions", json=body(clock, town[0].id), headers=platform)
    assert (
        client.post(
            "/v1/admin/promotions", headers=platform, json=body(clock, None, name="y", **change)
        ).status_code
        == 422
    )
    patched = client.patch(f"/v1/admin/promotions/{made.json['id']}", json=change, headers=platform)
    assert patched.status_code == 422
