"""Courier routes in-process: the job from offer to door, bad input, other couriers' things."""

import pytest
from sqlalchemy import select

from service.audit.models import AuditEvent
from service.catalog.models import StoreStock
from service.deliveries.models import CourierLocation
from service.people.models import Courier
from service.stores.models import Store
from tests.support.deliveries import HOME, carried, make_operator, offered_job, store_moves
from tests.support.payments import settle_refunds


@pytest.fixture
def job(client, session, clock):
    return offered_job(client, session, clock)


def offered_id(client, headers) -> int:
    (offer,) = client.get("/v1/courier/offers", headers=headers).json["deliveries"]
    assert offer["offer_seconds_left"] == 30
    return offer["id"]


def test_offer_accept_arrive_pick_up_and_deliver_with_the_code(client, session, clock, job):
    me, order = job["me"], job["order"]
    delivery_id = offered_id(client, me)
    assert client.post(f"/v1/courier/offers/{delivery_id}/accept", headers=me).status_code == 200
    current = client.get("/v1/courier/deliveries/current", headers=me).json["deliveries"]
    assert [(d["id"], d["items_count"], d["status"]) for d in current] == [
        (delivery_id, 2, "ASSIGNED")
    ]
    assert (
        client.post(
            f"/v1/courier/deliveries/{delivery_id}/arrived-at-store", headers=me
        ).status_code
        == 200
    )
    early = client.post(f"/v1/courier/deliveries/{delivery_id}/picked-up", headers=me)
    assert (early.status_code, early.json["error"]["code"]) == (409, "not_ready")
    store_moves(session, order["id"], "READY", clock.now())
    session.commit()
    assert (
        client.post(f"/v1/courier/deliveries/{delivery_id}/picked-up", headers=me).status_code
        == 200
    )
    session.expire_all()
    stock = session.execute(
        select(StoreStock.on_hand, StoreStock.reserved).where(
            StoreStock.store_id == job["store"].id
        )
    ).one()
    assert tuple(stock) == (8, 0) and session.get(Store, job["store"].id).open_orders == 0
    done = client.post(
        f"/v1/courier/deliveries/{delivery_id}/delivered",
        headers=me,
        json={"code": order["handoff_code"]},
    )
    assert done.status_code == 200 and done.json["order_status"] == "DELIVERED"
    assert session.get(Courier, job["courier_id"]).held == 0


def test_five_wrong_codes_lock_until_an_operator_unlocks(client, session, clock, job):
    me, order = job["me"], job["order"]
    delivery_id = carried(client, session, clock, job)
    wrong = f"{(int(order['handoff_code']) + 1) % 10000:04d}"
    codes = [
        client.post(
            f"/v1/courier/deliveries/{delivery_id}/delivered", headers=me, json={"code": wrong}
        ).json["error"]["code"]
        for _ in range(6)
    ]
    assert codes == ["wrong_code"] * 4 + ["delivery_locked"] * 2
    right = {"code": order["handoff_code"]}
    locked = client.post(f"/v1/courier/deliveries/{delivery_id}/delivered", headers=me, json=right)
    assert locked.status_code == 409
    operator = {"Authorization": f"Bearer {make_operator(session, clock.now())}"}
    session.commit()
    assert (
        client.post(f"/v1/ops/deliveries/{delivery_id}/unlock", headers=operator).status_code == 200
    )
    assert session.execute(select(AuditEvent.action)).scalars().all()[-1] == "delivery.unlock"
    again = client.post(f"/v1/courier/deliveries/{delivery_id}/delivered", headers=me, json=right)
    assert again.status_code == 200


def test_another_couriers_delivery_is_not_found(client, job):
    delivery_id = offered_id(client, job["me"])
    for path in (
        f"offers/{delivery_id}/accept",
        f"deliveries/{delivery_id}/arrived-at-store",
        f"deliveries/{delivery_id}/picked-up",
    ):
        assert client.post(f"/v1/courier/{path}", headers=job["other"]).status_code == 404
    assert client.get("/v1/courier/offers", headers=job["consumer"]).status_code == 403


def test_delivered_before_picked_up_and_an_expired_offer_are_409(client, clock, job):
    me = job["me"]
    delivery_id = offered_id(client, me)
    clock.advance(seconds=31)
    late = client.post(f"/v1/courier/offers/{delivery_id}/accept", headers=me)
    assert (late.status_code, late.json["error"]["code"]) == (409, "offer_expired")
    early = client.post(
        f"/v1/courier/deliveries/{delivery_id}/delivered", headers=me, json={"code": "0000"}
    )
    assert (early.status_code, early.json["error"]["status"]) == (409, "OFFERED")


@pytest.mark.parametrize(
    "body",
    [
        {"lat": 0.0, "lon": 0.0},
        {"lat": 91, "lon": 120},
        {**HOME, "accuracy_m": -1},
        {**HOME, "heading": 400},
    ],
)
def test_impossible_or_outside_locations_are_422(client, job, body):
    assert client.put("/v1/courier/location", json=body, headers=job["me"]).status_code == 422


def test_location_leaves_a_trail_only_while_holding_a_delivery(client, session, job):
    point = {"lat": HOME["lat"], "lon": HOME["lon"], "accuracy_m": 8}
    mine = client.put("/v1/courier/location", json=point, headers=job["me"])
    other = client.put("/v1/courier/location", json=point, headers=job["other"])
    assert mine.status_code == other.status_code == 204
    # The answer says what each holds, so an idle courier's app asks for offers only when one waits.
    assert (mine.headers["X-Courier-Held"], other.headers["X-Courier-Held"]) == ("1", "0")
    trail = session.execute(select(CourierLocation.courier_id)).scalars().all()
    assert trail == [job["courier_id"]]


def test_consumer_cancel_frees_the_courier_at_once(client, session, job):
    me = job["me"]
    delivery_id = offered_id(client, me)
    client.post(f"/v1/courier/offers/{delivery_id}/accept", headers=me)
    cancel = client.post(
        f"/v1/orders/{job['order']['id']}/cancel", headers=job["consumer"], json={}
    )
    assert cancel.status_code == 200
    assert client.get("/v1/courier/deliveries/current", headers=me).json["deliveries"] == []
    session.expire_all()
    assert session.get(Courier, job["courier_id"]).held == 0


def failed_and_queued(client, session, clock, job) -> tuple[int, dict]:
    delivery_id = carried(client, session, clock, job)
    failed = client.post(
        f"/v1/courier/deliveries/{delivery_id}/failed",
        headers=job["me"],
        json={"reason": "nobody home"},
    )
    assert failed.json["status"] == "FAILED"
    operator = {"Authorization": f"Bearer {make_operator(session, clock.now())}"}
    session.commit()
    queue = client.get("/v1/ops/deliveries/failed", headers=operator).json["deliveries"]
    assert [d["id"] for d in queue] == [delivery_id]
    return delivery_id, operator


def test_a_redelivery_goes_to_another_courier_who_picks_the_goods_up_again(
    client, session, clock, job
):
    from service.deliveries import dispatch

    delivery_id, operator = failed_and_queued(client, session, clock, job)
    on_shelf = select(StoreStock.on_hand, StoreStock.reserved).where(
        StoreStock.store_id == job["store"].id
    )
    shelf = session.execute(on_shelf).all()
    again = client.post(f"/v1/ops/deliveries/{delivery_id}/redeliver", headers=operator)
    assert (again.json["status"], again.json["courier_id"]) == ("WAITING", None)
    dispatch.tick(session=session, city_id=job["city"].id, now=clock.now())
    session.commit()
    assert client.get("/v1/courier/offers", headers=job["me"]).json["deliveries"] == []
    other = job["other"]
    client.post(f"/v1/courier/offers/{offered_id(client, other)}/accept", headers=other)
    picked = client.post(f"/v1/courier/deliveries/{delivery_id}/picked-up", headers=other)
    assert picked.json["status"] == "PICKED_UP"
    session.expire_all()  # sold once, at the first pickup
    assert session.execute(on_shelf).all() == shelf
    code = {"code": job["order"]["handoff_code"]}
    done = client.post(f"/v1/courier/deliveries/{delivery_id}/delivered", headers=other, json=code)
    assert done.json["status"] == "DELIVERED"
    kinds = [
        e["kind"]
        for e in client.get(f"/v1/orders/{job['order']['id']}", headers=job["consumer"]).json[
            "events"
        ]
    ]
    assert kinds[-4:] == ["redelivery", "courier_assigned", "picked_up", "delivered"]


def test_a_redelivery_goes_back_to_the_same_courier_only_when_nobody_else_can_take_it(
    client, session, clock, job
):
    delivery_id, operator = failed_and_queued(client, session, clock, job)
    client.post("/v1/courier/offline", headers=job["other"])
    again = client.post(f"/v1/ops/deliveries/{delivery_id}/redeliver", headers=operator)
    assert (again.json["status"], again.json["courier_id"]) == ("PICKED_UP", job["courier_id"])
    me, order = job["me"], job["order"]
    client.post(f"/v1/courier/deliveries/{delivery_id}/failed", headers=me, json={"reason": "x"})
    refund = client.post(f"/v1/ops/deliveries/{delivery_id}/refund", headers=operator)
    settle_refunds(client)
    assert refund.json["order_status"] == "CANCELLED"
    from service.orders.ledger import net_paid

    assert net_paid(session, order["id"]) == 0
    audited = session.execute(select(AuditEvent.action, AuditEvent.new)).all()
    assert [a for a, _ in audited] == ["delivery.redeliver", "delivery.refund"]
    assert audited[0].new["dispatch"] == "same_courier"


def test_location_without_a_courier_token_is_401_or_403(client, job):
    point = {"lat": HOME["lat"], "lon": HOME["lon"]}
    assert client.put("/v1/courier/location", json=point).status_code == 401
    bad = {"Authorization": "Bearer hd_nope"}
    assert client.put("/v1/courier/location", json=point, headers=bad).status_code == 401
    assert (
        client.put("/v1/courier/location", json=point, headers=job["consumer"]).status_code == 403
    )
