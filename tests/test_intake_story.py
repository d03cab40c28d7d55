"""Every order ends by the actors of its store's mode and the clock: tablet staff accept, mark
ready or reject (or miss the deadline); auto_accept stores' orders become READY by themselves;
couriers answer offers (or let them lapse); the jobs run on the business clock."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from service.jobs.registry import JOBS
from service.jobs.runner import run_job
from service.orders.models import Order, OrderEvent
from service.people.models import Courier
from tests.support.deliveries import make_couriers, make_operator
from tests.support.factories import make_city, make_consumers, make_store
from tests.support.payments import place_and_pay
from tests.support.tablets import store_token, tablet

HOME = {"lat": 0.0, "lon": 0.0, "address": "测试路100号"}
STEP = timedelta(seconds=20)


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def world(session, clock):
    now = clock.now()
    city = make_city(session)
    stock = {"BAK-0001": (20, 4800), "BAK-0002": (20, 1200)}
    stores = {
        "rejecting": make_store(session, city, 0.5, stock=stock, **tablet(now)),
        "sleepy": make_store(session, city, 1.0, stock=stock, **tablet(now)),
        "diligent": make_store(session, city, 1.5, stock=stock, **tablet(now)),
        "auto": make_store(session, city, 2.0, stock=stock, intake_mode="auto_accept"),
        # Sells BAK-0003 alone: an order for it that this store rejects has nowhere to go.
        "only": make_store(session, city, 0.2, stock={"BAK-0003": (5, 900)}, **tablet(now)),
    }
    tokens = {name: _auth(store_token(session, s.id, now)) for name, s in stores.items()}
    couriers = make_couriers(session, city, [(0.3, 0), (1.2, 0)], now, capacity=2)
    consumers = make_consumers(session, 5, now)
    session.commit()
    home = {**HOME, "lat": city.center_lat, "lon": city.center_lon}
    return {
        "city": city,
        "stores": stores,
        "tokens": tokens,
        "home": home,
        "couriers": [(cid, _auth(t)) for cid, t in couriers],
        "consumers": [_auth(t) for _, t in consumers],
    }


def _place(client, world, n: int, sku: str, store: str) -> int:
    body = {
        "items": [{"sku": sku, "qty": 1}],
        "payment_method": "wechat",
        **world["home"],
        "store_id": world["stores"][store].id,
    }
    placed = place_and_pay(client, body, world["consumers"][n], f"k{n}")
    assert placed.status_code == 201, placed.json
    return placed.json["order"]["id"]


class Staff:
    """A tablet store's staff: poll (the heartbeat), then act on their queue as they do."""

    def __init__(self, client, token: dict, behaviour: str):
        self.client, self.token, self.behaviour = client, token, behaviour

    def act(self) -> None:
        self.client.get("/v1/store/feed", headers=self.token)
        if self.behaviour == "sleepy":
            return  # never answers: every order misses the acceptance deadline
        for order in self.client.get("/v1/store/orders", headers=self.token).json["orders"]:
            if order["status"] == "PLACED" and self.behaviour == "rejecting":
                self._post(order, "reject", {"reason": "out_of_stock"})
            elif order["status"] == "PLACED":
                self._post(order, "accept")
            elif order["status"] == "ACCEPTED" and self.behaviour == "diligent":
                self._post(order, "ready")

    def _post(self, order: dict, action: str, body: dict | None = None) -> None:
        url = f"/v1/store/orders/{order['id']}/{action}"
        answer = self.client.post(url, json=body, headers=self.token)
        assert answer.status_code == 200, answer.json


class Rider:
    """A courier: keeps his position fresh, takes offers (the lazy one lets his first lapse),
    picks up READY orders and hands them over with the consumer's code."""

    def __init__(self, client, token: dict, codes: dict[int, str], lazy: bool):
        self.client, self.token, self.codes, self.lazy = client, token, codes, lazy
        self.lapsed: set[int] = set()

    def act(self, at: tuple[float, float]) -> None:
        self.client.put(
            "/v1/courier/location", json={"lat": at[0], "lon": at[1]}, headers=self.token
        )
        for offer in self.client.get("/v1/courier/offers", headers=self.token).json["deliveries"]:
            if self.lazy and offer["id"] not in self.lapsed:
                self.lapsed.add(offer["id"])  # says nothing: the offer lapses
                continue
            self.client.post(f"/v1/courier/offers/{offer['id']}/accept", headers=self.token)
        current = self.client.get("/v1/courier/deliveries/current", headers=self.token).json
        for job in current["deliveries"]:
            base = f"/v1/courier/deliveries/{job['id']}"
            if job["status"] in ("ASSIGNED", "AT_STORE"):
                self.client.post(f"{base}/picked-up", headers=self.token)  # 409 until READY
            elif job["status"] == "PICKED_UP":
                code = self.codes[job["order_id"]]
                self.client.post(f"{base}/delivered", json={"code": code}, headers=self.token)


def test_orders_at_tablet_and_auto_stores_all_end_with_only_their_modes_actors(
    client, session, clock, db, world
):
    orders = {
        "auto": _place(client, world, 0, "BAK-0001", "auto"),
        "rejected": _place(client, world, 1, "BAK-0001", "rejecting"),
        "timed_out": _place(client, world, 2, "BAK-0002", "sleepy"),
        "diligent": _place(client, world, 3, "BAK-0002", "diligent"),
        "nowhere": _place(client, world, 4, "BAK-0003", "only"),
    }
    codes = dict(session.execute(select(Order.id, Order.handoff_code)).all())
    staff = [
        Staff(client, world["tokens"][n], b)
        for n, b in (
            ("rejecting", "rejecting"),
            ("sleepy", "sleepy"),
            ("diligent", "diligent"),
            ("only", "rejecting"),
        )
    ]
    riders = [
        Rider(client, token, codes, lazy=n == 0) for n, (_, token) in enumerate(world["couriers"])
    ]
    home = (world["home"]["lat"], world["home"]["lon"])
    for _ in range(int(timedelta(minutes=90) / STEP)):
        for person in staff:
            person.act()
        for job in JOBS.values():
            assert not run_job(job, database=db, now=clock.now()).failed
        for rider in riders:
            rider.act(home)
        if _all_ended(session, orders):
            break
        clock.advance(seconds=STEP.total_seconds())
    final = _statuses(session, orders)
    assert final == {
        "auto": "DELIVERED",
        "rejected": "DELIVERED",
        "timed_out": "DELIVERED",
        "diligent": "DELIVERED",
        "nowhere": "CANCELLED",
    }
    _check_the_way_each_went(session, orders, world, riders)


def _statuses(session, orders: dict[str, int]) -> dict[str, str]:
    session.expire_all()
    return {name: session.get(Order, oid).status for name, oid in orders.items()}


def _all_ended(session, orders: dict[str, int]) -> bool:
    return set(_statuses(session, orders).values()) <= {"DELIVERED", "CANCELLED"}


def _events(session, order_id: int) -> list[tuple[str, str, dict]]:
    rows = session.execute(
        select(OrderEvent.kind, OrderEvent.actor_role, OrderEvent.data)
        .where(OrderEvent.order_id == order_id)
        .order_by(OrderEvent.id)
    ).all()
    return [tuple(row) for row in rows]


def _check_the_way_each_went(session, orders, world, riders) -> None:
    auto = _events(session, orders["auto"])
    assert ("ready", "system", {"reason": "prep_time_elapsed"}) in auto
    rejected = [
        e[2].get("reason") for e in _events(session, orders["rejected"]) if e[0] == "reassigned"
    ]
    assert rejected[0] == "rejected:out_of_stock"
    timed_out = [
        e[2].get("reason") for e in _events(session, orders["timed_out"]) if e[0] == "reassigned"
    ]
    assert timed_out[0] == "timeout"
    diligent = _events(session, orders["diligent"])
    assert ("ready", "store") in [e[:2] for e in diligent]
    nowhere = session.get(Order, orders["nowhere"])
    assert nowhere.cancel_reason == "no_store"
    assert riders[0].lapsed, "the lazy courier let an offer lapse"


def test_operators_see_orders_no_courier_took_and_tablet_orders_not_ready_in_time(
    client, session, clock, db, world
):
    operator = _auth(make_operator(session, clock.now()))
    session.commit()
    session.execute(Courier.__table__.update().values(status="offline"))
    session.commit()
    waiting = _place(client, world, 0, "BAK-0001", "auto")
    slow = _place(client, world, 1, "BAK-0002", "diligent")
    client.post(f"/v1/store/orders/{slow}/accept", headers=world["tokens"]["diligent"])
    clock.advance(minutes=9)
    assert client.get("/v1/ops/unassigned", headers=operator).json["items"] == []
    clock.advance(minutes=1)
    items = client.get("/v1/ops/unassigned", headers=operator).json["items"]
    assert [(i["order_id"], i["waiting_s"], i["store_name"]) for i in items] == [
        (waiting, 600, world["stores"]["auto"].name),
        (slow, 600, world["stores"]["diligent"].name),
    ]  # no courier online at all
    assert client.get("/v1/ops/slow-stores", headers=operator).json["items"] == []
    clock.advance(minutes=10)  # accepted 20 min ago, prep 10: 10 min over
    (late,) = client.get("/v1/ops/slow-stores", headers=operator).json["items"]
    assert (late["order_id"], late["overdue_s"]) == (slow, 600)
    tracking = client.get(f"/v1/orders/{waiting}/tracking", headers=world["consumers"][0]).json
    assert tracking["looking_for_courier"] is True and tracking["eta_s"] is None
    elsewhere = client.get(
        "/v1/ops/unassigned", query_string={"city_id": world["city"].id + 1}, headers=operator
    ).json["items"]
    assert elsewhere == []
    consumer = client.get("/v1/ops/unassigned", headers=world["consumers"][0])
    assert consumer.status_code == 403
