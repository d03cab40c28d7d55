"""The simulator's parts that need no service: the shipped scenario, arrivals, the clock
the actors sleep on, loopback only."""

import asyncio
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from service.clock import ScaledClock
from service.simulate.consumers import arrivals
from service.simulate.couriers import Rider, _goods_ready, _offered
from service.simulate.http import Api
from service.simulate.outcomes import Outcomes
from service.simulate.scenario import load_scenario
from service.simulate.stores import READY_AGAIN_S, _act


def test_the_shipped_scenario_is_changsha_at_twenty_hundred_and_scales_by_its_switches():
    scenario = load_scenario()
    assert scenario.city == "changsha" and scenario.drop_at.hour == 20
    bigger = scenario.scaled(consumers=5000, stores=300, couriers=200, speed=15)
    counts = (bigger.consumers["count"], bigger.stores["count"], bigger.couriers["count"])
    assert counts == (5000, 300, 200) and bigger.speed == 15
    assert scenario.consumers["count"] != 5000  # the original is left as it was
    wider = bigger.scaled(visits_at_once=96)
    assert wider.consumers["visits_at_once"] == 96 and wider.consumers["count"] == 5000


def test_arrivals_bunch_after_the_drop_and_stop_before_the_last_order_minutes():
    scenario = replace(
        load_scenario().scaled(consumers=2000),
        consumers={**load_scenario().consumers, "count": 2000, "last_order_minutes": 10},
    )
    times = arrivals(scenario, random.Random(1))
    last = scenario.end - timedelta(minutes=scenario.consumers["last_order_minutes"])
    assert len(times) == 2000 and all(scenario.start <= t <= last for t in times)
    burst = scenario.drop_at + timedelta(minutes=3)
    after_drop = sum(scenario.drop_at <= t < burst for t in times)
    assert after_drop > 2000 * scenario.consumers["drop_share"] * 0.9


def test_the_simulator_drives_a_service_on_loopback_only():
    clock = ScaledClock(datetime.now(UTC), datetime.now(UTC), 10)
    with pytest.raises(ValueError, match="loopback"):
        Api("http://example.com", clock)

    async def ping_nobody():
        async with Api("http://127.0.0.1:9", clock) as api:
            return await api.call("GET", "/v1/_ping"), api.calls

    answer, calls = run_async(ping_nobody())
    assert answer is None and calls[0].status == 0


def test_the_shipped_hour_is_followed_by_a_drain_and_only_some_visitors_order_now():
    scenario = load_scenario()
    assert scenario.duration_minutes == 60 and scenario.drain_minutes == 60
    assert 0 < scenario.consumers["order_share"] < 1
    assert scenario.scaled(drain_minutes=5).drain_minutes == 5


def run_async(coroutine):
    """Run `coroutine` on a fresh event loop in its own thread: a browser test's loop may
    still be running in this one (asyncio.run refuses to nest)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class Answer:
    def __init__(self, status: int, headers: dict):
        self.status_code, self.headers, self.is_success = status, headers, status < 300


def test_an_idle_courier_asks_for_offers_only_when_his_location_answer_says_he_holds_one():
    assert _offered(Answer(204, {"X-Courier-Held": "1"}))
    assert not _offered(Answer(204, {"X-Courier-Held": "0"}))
    assert _offered(None) and _offered(Answer(503, {}))  # no answer: he looks anyway


def test_a_courier_at_the_store_asks_for_the_goods_when_put_out_else_every_eighth_tick():
    outcomes = Outcomes()
    outcomes.orders[7] = {"status": "PLACED"}
    rider = Rider("t", [0.0, 0.0], 15, job={"order_id": 7}, phase="at_store")
    asked = [_goods_ready(rider, outcomes) for _ in range(16)]
    assert asked.count(True) == 2 and asked[7] and asked[15]
    outcomes.mark(7, ready=True)
    assert _goods_ready(rider, outcomes)


class Scripted:
    """A service that answers `status` (None: no answer) to every call, and counts them."""

    def __init__(self, status: int | None):
        self.status, self.paths = status, []

    async def call(self, method: str, path: str, token: str | None = None, **kwargs):
        self.paths.append(path)
        return None if self.status is None else Answer(self.status, {})


@pytest.mark.parametrize(
    ("status", "pressed_again", "ready"),
    [(None, True, False), (503, True, False), (200, False, True), (409, False, False)],
)
def test_staff_press_ready_again_only_when_the_service_did_not_answer(status, pressed_again, ready):
    service, outcomes, again = Scripted(status), Outcomes(), []
    outcomes.orders[7] = {"status": "PLACED"}
    run_async(
        _act(
            service,
            {"token": "t"},
            "ready",
            7,
            lambda s, action, order_id: again.append((s, action, order_id)),
            outcomes,
            random.Random(1),
            load_scenario(),
        )
    )
    assert service.paths == ["/v1/store/orders/7/ready"]
    assert again == ([(READY_AGAIN_S, "ready", 7)] if pressed_again else [])
    assert bool(outcomes.orders[7].get("ready")) is ready
