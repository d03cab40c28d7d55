"""Store tablets in-process: the feed and its cursor, staff actions, switches, authorisation."""

import pytest
from sqlalchemy import select

from service.audit.models import AuditEvent
from service.catalog.models import StoreStock
from service.orders.models import Order
from service.people.models import Operator
from service.tablet.cursor import make_cursor
from tests.support.factories import TEST_CENTRE, make_city, make_consumers, make_store
from tests.support.payments import place_and_pay
from tests.support.tablets import store_token, tablet

HOME = {"lat": TEST_CENTRE[0], "lon": TEST_CENTRE[1], "address": "测试路100号"}
BODY = {"items": [{"sku": "BAK-0001", "qty": 2}], "payment_method": "wechat", **HOME}


@pytest.fixture
def shop(session, clock):
    """Two tablet stores (the nearer first) with tokens, and two consumers."""
    test_city = make_city(session)
    now = clock.now()
    near = make_store(session, test_city, 1.0, stock={"BAK-0001": (10, 4800)}, **tablet(now))
    far = make_store(session, test_city, 2.0, stock={"BAK-0001": (10, 4800)}, **tablet(now))
    people = make_consumers(session, 2, now)
    tokens = [store_token(session, s.id, now) for s in (near, far)]
    session.commit()
    return {
        "stores": (near, far),
        "store_auth": [auth(t) for t in tokens],
        "consumer_auth": [auth(t) for _, t in people],
    }


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def place(client, headers, key, body=BODY):
    response = place_and_pay(client, body, headers, key)
    assert response.status_code == 201, response.json
    return response.json["order"]


def head(client, headers) -> str:
    response = client.get("/v1/store/feed", headers=headers)
    assert response.status_code == 200 and response.json["events"] == []
    return response.json["cursor"]


def poll(client, headers, cursor):
    response = client.get("/v1/store/feed", query_string={"after": cursor}, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_feed_shows_the_stores_own_events_in_order_once(client, shop):
    near_auth, far_auth = shop["store_auth"]
    cursor, far_cursor = head(client, near_auth), head(client, far_auth)
    first = place(client, shop["consumer_auth"][0], "a")
    second = place(client, shop["consumer_auth"][1], "b")
    page = poll(client, near_auth, cursor)
    assert [(e["order_id"], e["kind"]) for e in page["events"]] == [
        (first["id"], "placed"),
        (second["id"], "placed"),
    ]
    assert {e["store_id"] for e in page["events"]} == {shop["stores"][0].id}
    assert poll(client, near_auth, page["cursor"])["events"] == []
    assert poll(client, far_auth, far_cursor)["events"] == []


def test_cursor_of_another_store_malformed_or_from_the_future_is_422(client, shop):
    near_auth, far_auth = shop["store_auth"]
    near_cursor = head(client, near_auth)
    future = make_cursor("test", shop["stores"][0].id, 10**9)
    for cursor in (near_cursor + "x", "garbage", future):
        response = client.get("/v1/store/feed", query_string={"after": cursor}, headers=near_auth)
        assert response.status_code == 422, cursor
    stolen = client.get("/v1/store/feed", query_string={"after": near_cursor}, headers=far_auth)
    assert (stolen.status_code, stolen.json["error"]["code"]) == (422, "invalid_cursor")


def test_accept_ready_and_wrong_state_is_409_with_the_status(client, shop):
    near_auth = shop["store_auth"][0]
    order = place(client, shop["consumer_auth"][0], "a")
    url = f"/v1/store/orders/{order['id']}"
    assert client.post(url + "/ready", headers=near_auth).json["error"]["status"] == "PLACED"
    accepted = client.post(url + "/accept", headers=near_auth)
    assert (accepted.status_code, accepted.json["status"]) == (200, "ACCEPTED")
    again = client.post(url + "/accept", headers=near_auth)
    assert (again.status_code, again.json["error"]["status"]) == (409, "ACCEPTED")
    assert client.post(url + "/ready", headers=near_auth).json["status"] == "READY"
    detail = client.get(url, headers=near_auth).json
    assert [e["kind"] for e in detail["events"]] == ["placed", "accepted", "ready"]
    assert detail["lines"][0] | {"on_hand": 10} == {
        **detail["lines"][0],
        "sku": "BAK-0001",
        "qty": 2,
        "unit_price_fen": 4800,
    }


def test_another_stores_order_is_404_and_other_roles_403(client, shop):
    order = place(client, shop["consumer_auth"][0], "a")
    far_auth = shop["store_auth"][1]
    url = f"/v1/store/orders/{order['id']}"
    assert client.get(url, headers=far_auth).status_code == 404
    assert client.post(url + "/accept", headers=far_auth).status_code == 404
    assert client.get(url, headers=shop["consumer_auth"][0]).status_code == 403
    assert client.get("/v1/store/feed", headers=shop["consumer_auth"][0]).status_code == 403


def test_reject_lands_in_the_next_stores_feed_with_the_first_released(client, session, shop):
    (near, far), (near_auth, far_auth) = shop["stores"], shop["store_auth"]
    near_cursor, far_cursor = head(client, near_auth), head(client, far_auth)
    order = place(client, shop["consumer_auth"][0], "a")
    rejected = client.post(
        f"/v1/store/orders/{order['id']}/reject", json={"reason": "too_busy"}, headers=near_auth
    )
    assert rejected.json == {"id": order["id"], "outcome": "reassigned"}
    assert client.get(f"/v1/store/orders/{order['id']}", headers=near_auth).status_code == 404
    assert [e["kind"] for e in poll(client, near_auth, near_cursor)["events"]] == [
        "placed",
        "reassigned_away",
    ]
    assert [e["kind"] for e in poll(client, far_auth, far_cursor)["events"]] == ["reassigned"]
    assert (reserved(session, near.id), reserved(session, far.id)) == (0, 2)
    assert [fresh(session, s).open_orders for s in (near, far)] == [0, 1]
    client.post(
        f"/v1/store/orders/{order['id']}/reject", json={"reason": "closing"}, headers=far_auth
    )
    cancelled = session.get(Order, order["id"])
    session.refresh(cancelled)
    assert (cancelled.status, cancelled.cancel_reason) == ("CANCELLED", "no_store")
    assert reserved(session, far.id) == 0


def fresh(session, row):
    session.refresh(row)
    return row


def reserved(session, store_id) -> int:
    return sum(
        session.execute(
            select(StoreStock.reserved).where(StoreStock.store_id == store_id)
        ).scalars()
    )


def test_a_silent_tablet_store_is_skipped_as_disconnected_until_it_polls(
    client, session, shop, clock
):
    clock.advance(minutes=3)
    refused = client.post(
        "/v1/orders", json=BODY, headers={**shop["consumer_auth"][0], "Idempotency-Key": "a"}
    )
    assert refused.status_code == 409
    assert refused.json["error"]["reasons"] == {"disconnected": 2}
    head(client, shop["store_auth"][1])  # the far store's tablet polls
    assert place(client, shop["consumer_auth"][0], "a")["store"]["id"] == shop["stores"][1].id


def test_busy_and_unavailable_sku_switches_stop_new_orders_and_are_audited(client, session, shop):
    near_auth, far_auth = shop["store_auth"]
    assert client.post("/v1/store/busy", json={"busy": True}, headers=near_auth).json["paused"]
    marked = client.post(
        "/v1/store/skus", json={"sku": "BAK-0001", "unavailable": True}, headers=far_auth
    )
    assert marked.status_code == 200 and marked.json["unavailable_until"]
    refused = client.post(
        "/v1/orders", json=BODY, headers={**shop["consumer_auth"][0], "Idempotency-Key": "a"}
    )
    assert refused.json["error"]["reasons"] == {"paused": 1, "out_of_stock": 1}
    client.post("/v1/store/skus", json={"sku": "BAK-0001", "unavailable": False}, headers=far_auth)
    assert place(client, shop["consumer_auth"][0], "a")["store"]["id"] == shop["stores"][1].id
    actions = session.execute(select(AuditEvent.action, AuditEvent.actor_role)).all()
    assert set(actions) >= {
        ("store.switch", "store"),
        ("store.sku_unavailable", "store"),
        ("store.sku_restocked", "store"),
    }


def test_operator_switches_intake_mode_and_sees_the_last_poll(client, session, shop, clock):
    operator = session.execute(select(Operator).where(Operator.city_id.is_(None))).scalars().first()
    token = store_token(session, operator.id, clock.now(), role="operator")
    session.commit()
    url = f"/v1/operator/stores/{shop['stores'][0].id}"
    seen = client.get(url, headers=auth(token)).json
    assert (seen["intake_mode"], seen["last_polled_at"] is not None) == ("tablet", True)
    changed = client.patch(url, json={"intake_mode": "auto_accept"}, headers=auth(token))
    assert changed.json["intake_mode"] == "auto_accept"
    assert place(client, shop["consumer_auth"][0], "a")["status"] == "ACCEPTED"
    assert client.get(url, headers=shop["store_auth"][0]).status_code == 403


def test_order_numbers_run_per_store_and_day_and_a_rerouted_order_takes_the_next_one(
    client, session, clock, shop
):
    (near, _), (near_auth, far_auth) = shop["stores"], shop["store_auth"]
    first = place(client, shop["consumer_auth"][0], "a")
    second = place(client, shop["consumer_auth"][1], "b")
    number = lambda o, a: client.get(f"/v1/store/orders/{o['id']}", headers=a).json  # noqa: E731
    assert [number(o, near_auth)["order_number"] for o in (first, second)] == ["001", "002"]
    client.post(
        f"/v1/store/orders/{second['id']}/reject", json={"reason": "too_busy"}, headers=near_auth
    )
    assert number(second, far_auth)["order_number"] == "001"  # the far store's first today
    clock.advance(hours=24)
    fresh_store = session.get(type(near), near.id)
    fresh_store.last_polled_at = clock.now()  # its tablet is still there the next day
    session.commit()
    third = place(client, shop["consumer_auth"][0], "c")
    assert number(third, near_auth)["order_number"] == "001"
