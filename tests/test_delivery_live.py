"""Deliveries against real gunicorn workers on both engines: the whole flow, races, two ticks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from service.campaigns.models import Coupon
from service.catalog.models import StoreStock
from service.clock import SystemClock
from service.db import Database, make_engine
from service.deliveries.models import Delivery
from service.jobs.registry import JOBS
from service.jobs.runner import run_job
from service.orders.ledger import net_paid
from service.orders.models import LedgerEntry, Order
from service.people.models import Courier
from service.stores.models import Store
from tests.support.deliveries import (
    BODY,
    HOME,
    backdate,
    compensation_budget,
    make_couriers,
    store_moves,
)
from tests.support.factories import make_city, make_consumers, make_store
from tests.support.payments import place_and_pay_live
from tests.support.race import race

pytestmark = pytest.mark.live


class World:
    """A test city with one store, consumers and couriers, on a live server's database."""

    def __init__(self, server, couriers=((1.1, 0.0),), consumers=2, stock=10, **courier_fields):
        self.server = server
        self.engine = make_engine(server.database_url)
        self.database = Database(self.engine)
        with self.database.unit_of_work() as session:
            now = SystemClock().now()
            self.city = make_city(session)
            self.store = make_store(session, self.city, 1.0, stock={"BAK-0001": (stock, 4800)})
            self.consumers = make_consumers(session, consumers, now)
            self.couriers = make_couriers(session, self.city, list(couriers), now, **courier_fields)

    def call(self, method, path, token, **kwargs):
        return requests.request(
            method,
            self.server.url + path,
            timeout=30,
            headers={"Authorization": f"Bearer {token}"},
            **kwargs,
        )

    def place(self, n=0) -> dict:
        consumer = self.consumers[n][1]
        placed = place_and_pay_live(
            self.server.url, BODY, {"Authorization": f"Bearer {consumer}"}, f"k{n}"
        )
        assert placed.status_code == 201, placed.text
        return placed.json()["order"]

    def store_does(self, order_id, to):
        with self.database.unit_of_work() as session:
            store_moves(session, order_id, to, SystemClock().now())

    def dispatch(self):
        return run_job(JOBS["dispatch"], database=self.database, now=SystemClock().now())

    def track(self, order_id, n=0) -> dict:
        return self.call("GET", f"/v1/orders/{order_id}/tracking", self.consumers[n][1]).json()

    def read(self, query):
        with self.engine.connect() as conn:
            return conn.execute(query).all()


def test_an_order_from_placement_to_the_door_over_http(live_server):
    world = World(live_server())
    courier = world.couriers[0][1]
    order = world.place()
    world.store_does(order["id"], "ACCEPTED")
    accepted = world.track(order["id"])
    assert (accepted["delivery_status"], accepted["courier"]) == ("WAITING", None)
    world.dispatch()
    (offer,) = world.call("GET", "/v1/courier/offers", courier).json()["deliveries"]
    assert world.call("POST", f"/v1/courier/offers/{offer['id']}/accept", courier).ok
    assert world.call("PUT", "/v1/courier/location", courier, json=HOME).status_code == 204
    riding = world.track(order["id"])
    assert riding["courier"]["position_age_s"] <= 5 and riding["eta_s"] > 0
    world.store_does(order["id"], "READY")
    path = f"/v1/courier/deliveries/{offer['id']}"
    assert world.call("POST", f"{path}/picked-up", courier).ok
    stock, slots = (
        world.read(
            select(StoreStock.on_hand, StoreStock.reserved).where(
                StoreStock.store_id == world.store.id
            )
        ),
        world.read(select(Store.open_orders).where(Store.id == world.store.id)),
    )
    assert tuple(stock[0]) == (8, 0) and slots[0][0] == 0
    carried = world.track(order["id"])
    assert carried["status"] == "PICKED_UP" and carried["eta_s"] <= riding["eta_s"]
    wrong = f"{(int(order['handoff_code']) + 1) % 10000:04d}"
    refused = world.call("POST", f"{path}/delivered", courier, json={"code": wrong})
    assert (refused.status_code, refused.json()["error"]["wrong_codes"]) == (422, 1)
    done = world.call("POST", f"{path}/delivered", courier, json={"code": order["handoff_code"]})
    assert done.status_code == 200
    final = world.track(order["id"])
    assert [e["kind"] for e in final["timeline"]] == [
        "placed",
        "accepted",
        "courier_assigned",
        "ready",
        "picked_up",
        "delivered",
    ]
    assert final["late"] is False and final["eta_s"] == 0
    world.engine.dispose()


def test_a_late_delivery_raced_by_ten_clients_earns_one_coupon_and_money_reconciles(live_server):
    world = World(live_server())
    courier = world.couriers[0][1]
    order = world.place()
    world.store_does(order["id"], "ACCEPTED")
    world.dispatch()
    (offer,) = world.call("GET", "/v1/courier/offers", courier).json()["deliveries"]
    world.call("POST", f"/v1/courier/offers/{offer['id']}/accept", courier)
    world.store_does(order["id"], "READY")
    world.call("POST", f"/v1/courier/deliveries/{offer['id']}/picked-up", courier)
    with world.database.unit_of_work() as session:
        backdate(session, order["id"], minutes=3)
    url = f"{world.server.url}/v1/courier/deliveries/{offer['id']}/delivered"
    answers = race(
        [
            {
                "method": "POST",
                "url": url,
                "json": {"code": order["handoff_code"]},
                "headers": {"Authorization": f"Bearer {courier}"},
            }
        ]
        * 10
    )
    assert sorted(r.status_code for r in answers) == [200] + [409] * 9
    assert world.track(order["id"])["late"] is True
    with world.database.unit_of_work() as session:
        campaign = compensation_budget(session, world.city.id)
        coupons = session.execute(
            select(func.count()).select_from(Coupon).where(Coupon.campaign_id == campaign.id)
        ).scalar()
        paid = net_paid(session, order["id"])
        compensated = session.execute(
            select(func.sum(LedgerEntry.amount_fen)).where(LedgerEntry.kind == "compensation")
        ).scalar()
        payable = session.get(Order, order["id"]).payable_fen
        assert (coupons, campaign.issued_fen, compensated) == (1, 1000, 1000)
        assert paid == payable
    world.engine.dispose()


def test_two_dispatch_processes_at_once_never_exceed_capacity(live_server):
    world = World(
        live_server(),
        couriers=[(1.0 + n / 10, 0.0) for n in range(3)],
        consumers=8,
        stock=50,
        capacity=2,
    )
    orders = [world.place(n)["id"] for n in range(8)]
    for order_id in orders:
        world.store_does(order_id, "ACCEPTED")
    env = {
        **os.environ,
        "DATABASE_URL": world.server.database_url,
        "HD_FAILPOINTS": "dispatch.after_read=0.5",
        "LOG_LEVEL": "WARNING",
    }
    command = [str(Path(sys.executable).with_name("hourdelivery")), "jobs", "run", "dispatch"]
    ticks = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    outputs = [tick.communicate(timeout=120)[0].decode() for tick in ticks]
    assert all(tick.returncode == 0 for tick in ticks), outputs
    held = dict(
        world.read(
            select(Delivery.courier_id, func.count())
            .where(Delivery.status == "OFFERED")
            .group_by(Delivery.courier_id)
        )
    )
    counters = dict(
        world.read(select(Courier.id, Courier.held).where(Courier.city_id == world.city.id))
    )
    assert held == counters and sum(held.values()) == 6 and max(held.values()) == 2
    world.engine.dispose()
