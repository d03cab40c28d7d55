"""Orders put into a given state on a live server's database, by service calls, for the race
matrix: each batch at a fresh tablet store, half of them with a coupon, couriers near by."""

import threading
from dataclasses import dataclass, field
from datetime import timedelta

import requests
from sqlalchemy import func, select

from service import caches
from service.cities.models import City
from service.clock import SystemClock
from service.db import Database, make_engine
from service.deliveries import courier, dispatch, handoff
from service.deliveries.models import Delivery
from service.orders.models import Order, OrderLine
from service.orders.placement import place_order
from service.orders.schemas import OrderIn
from service.tablet import deadlines
from service.tablet import orders as tablet_orders
from tests.support.deliveries import HOME, make_couriers
from tests.support.factories import (
    claimed_coupon_id,
    make_campaign,
    make_city,
    make_consumers,
    make_store,
)
from tests.support.payments import pay_in_session, sandbox_in_process
from tests.support.tablets import store_token, tablet

ITEMS = [{"sku": "BAK-0001", "qty": 2}, {"sku": "BAK-0002", "qty": 1}]
STAGES = ("PLACED", "ACCEPTED", "DISPATCHABLE", "READY", "PICKED_UP")


@dataclass
class Target:
    """One order and the credentials of everyone who may act on it."""

    id: int
    store_id: int
    consumer: str
    staff: str
    line_id: int
    delivery_id: int | None = None
    courier: str | None = None
    code: str = ""


@dataclass
class Arena:
    """A test city on the live server's database; `batch` makes orders in a stage."""

    url: str
    database_url: str
    database: Database = field(init=False)
    couriers: dict[int, str] = field(default_factory=dict)

    def __post_init__(self):
        self.database = Database(make_engine(self.database_url))
        caches.clear_all()  # ids cached by in-process tests name other rows here
        sandbox_in_process()  # orders are placed here by service calls, paid at the sandbox
        with self.database.unit_of_work() as session:
            now = SystemClock().now()
            self.city_id = make_city(session).id
            campaign, _ = make_campaign(
                session, now, code="testville", quota=10_000, pack=((0, 500, 1),)
            )
            self.campaign_id = campaign.id

    def batch(self, stage: str, n: int) -> list[Target]:
        """`n` orders at a new store, moved to `stage` (DISPATCHABLE: ACCEPTED with free
        couriers near by that no tick has offered it to yet)."""
        now = SystemClock().now()
        with self.database.unit_of_work() as session:
            store = make_store(
                session,
                session.get(City, self.city_id),
                1.0,
                **tablet(now),
                max_open_orders=500,
                stock={"BAK-0001": (500, 4800), "BAK-0002": (500, 1200)},
            )
            staff = store_token(session, store.id, now)
            targets = [self._place(session, store.id, staff, k, now) for k in range(n)]
            self._advance(session, store.id, targets, STAGES.index(stage), now)
        return targets

    def _place(self, session, store_id, staff, k, now) -> Target:
        ((consumer_id, token),) = make_consumers(session, 1, now)
        coupon_id = None
        if k % 2 == 0:  # every other order spends a coupon: short-picks give spend back
            coupon_id = claimed_coupon_id(
                session, consumer_id, self.campaign_id, now, lat=HOME["lat"], lon=HOME["lon"]
            )
        order_in = OrderIn(
            items=ITEMS, payment_method="wechat", coupon_id=coupon_id, store_id=store_id, **HOME
        )
        status, body, *_ = place_order(
            session=session, consumer_id=consumer_id, order_in=order_in, key="m", now=now
        )
        assert status == 201, body
        order_id = body["order"]["id"]
        pay_in_session(session, order_id, now)  # paid: the order reaches its store
        line = session.execute(
            select(OrderLine.id).where(OrderLine.order_id == order_id, OrderLine.sku == "BAK-0001")
        ).scalar_one()
        return Target(order_id, store_id, token, staff, line)

    def _advance(self, session, store_id, targets, stage: int, now) -> None:
        if stage >= 1:
            for t in targets:
                tablet_orders.accept(session=session, store_id=store_id, order_id=t.id, now=now)
        if stage >= 2:
            city = session.get(City, self.city_id)
            # As many as the city's waiting deliveries: a tick serves the oldest orders first,
            # and earlier rounds leave accepted orders nobody dispatched.
            riders = max(len(targets), self._waiting(session))
            self.couriers.update(make_couriers(session, city, [(1.1, 0)] * riders, now))
        if stage >= 3:
            dispatch.tick(session=session, city_id=self.city_id, now=now)
            for t in targets:
                self._carry(session, t, now, pick_up=stage >= 4)

    def _waiting(self, session) -> int:
        return session.execute(
            select(func.count()).where(
                Delivery.city_id == self.city_id, Delivery.status == "WAITING"
            )
        ).scalar()

    def _carry(self, session, t: Target, now, pick_up: bool) -> None:
        delivery = session.execute(select(Delivery).where(Delivery.order_id == t.id)).scalar_one()
        assert delivery.courier_id is not None, "no courier was offered the order"
        t.delivery_id, t.courier = delivery.id, self.couriers[delivery.courier_id]
        t.code = session.get(Order, t.id).handoff_code
        courier.accept_offer(
            session=session, courier_id=delivery.courier_id, delivery_id=delivery.id, now=now
        )
        tablet_orders.ready(session=session, store_id=t.store_id, order_id=t.id, now=now)
        if pick_up:
            handoff.picked_up(
                session=session, courier_id=delivery.courier_id, delivery_id=delivery.id, now=now
            )

    def post(self, path: str, token: str, body: dict | None = None):
        """A callable POSTing as the token's holder; returns (status, JSON body)."""

        def call():
            answer = requests.post(
                self.url + path, json=body, timeout=60, headers={"Authorization": f"Bearer {token}"}
            )
            return answer.status_code, answer.json()

        return call

    def job(self, work):
        """A callable running `work(session, now)` in its own transaction, as the scheduler
        would; returns ("job", what it returned)."""

        def call():
            with self.database.unit_of_work() as session:
                return "job", work(session, SystemClock().now())

        return call

    def deadline(self, order_id: int):
        """The acceptance-deadline job's item for the order, run as if its time had passed."""
        return self.job(
            lambda session, now: deadlines.time_out(
                session=session, order_id=order_id, now=now + timedelta(hours=1)
            )
        )

    def tick(self):
        """One dispatch tick of the city."""
        return self.job(
            lambda session, now: dispatch.tick(session=session, city_id=self.city_id, now=now)
        )


def fire_together(calls: list) -> list:
    """Run the callables at once from their own threads (released by one barrier); their
    results, or the exceptions they raised, in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait(timeout=60)
        try:
            results[index] = calls[index]()
        except Exception as error:  # reported by the test, with the others' answers
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
