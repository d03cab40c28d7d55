"""The simulator's parts that need no service: the shipped scenario, arrivals, the clock
the actors sleep on, loopback only."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from service.clock import ScaledClock
from service.simulate.consumers import arrivals
from service.simulate.http import Api
from service.simulate.scenario import load_scenario


def test_the_shipped_scenario_is_changsha_at_twenty_hundred_and_scales_by_its_switches():
    scenario = load_scenario()
    assert scenario.city == "changsha" and scenario.drop_at.hour == 20
    bigger = scenario.scaled(consumers=5000, stores=300, couriers=200, speed=15)
    counts = (bigger.consumers["count"], bigger.stores["count"], bigger.couriers["count"])
    assert counts == (5000, 300, 200) and bigger.speed == 15
    assert scenario.consumers["count"] != 5000  # the original is left as it was


def test_arrivals_bunch_after_the_drop_and_stop_before_the_last_order_minutes():
    scenario = load_scenario().scaled(consumers=2000)
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
    api = Api("http://127.0.0.1:9", clock)
    assert api.call("GET", "/v1/_ping") is None and api.calls[0].status == 0
    api.close()
