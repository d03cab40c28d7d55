"""One simulation run: every actor a task on one event loop, stopping by itself at the end."""

import asyncio
import random
import resource
import time
from datetime import UTC, datetime, timedelta

from service.simulate.consumers import arrivals, consumer
from service.simulate.couriers import courier
from service.simulate.http import Api
from service.simulate.outcomes import Outcomes
from service.simulate.scenario import Scenario
from service.simulate.stores import store_staff

# Consumers in a visit at once (scenario: consumers.visits_at_once). More only lengthen the
# service's queue once it is saturated, which couriers' and tablets' requests wait in too (an
# offer lapses in 2 real seconds at 15x); a visit waiting for room past the hour's end never
# begins (the report counts it).
CONSUMER_VISITS = 32


def visits_at_once(scenario: Scenario) -> int:
    return max(
        1,
        min(scenario.consumers.get("visits_at_once", CONSUMER_VISITS), scenario.consumers["count"]),
    )


async def run(api: Api, scenario: Scenario, world: dict) -> dict:
    """Play the scenario against the service; answer what the actors saw, for the report."""
    rng = random.Random(scenario.seed)
    outcomes, riders = Outcomes(), []
    # The hour's wall time counts from the scenario's start (the actors may be ready early).
    ahead_s = (api.clock.wall(scenario.start) - datetime.now(UTC)).total_seconds()
    cpu0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic() + max(0, ahead_s)
    actors = _staff_and_couriers(api, scenario, world, outcomes, riders, rng)
    room = asyncio.Semaphore(visits_at_once(scenario))
    visits = sorted(
        zip(arrivals(scenario, rng), world["consumers"], strict=True), key=lambda pair: pair[0]
    )
    consumers = [
        asyncio.create_task(
            consumer(
                api, scenario, world, outcomes, person, arrive, random.Random(rng.random()), room
            )
        )
        for arrive, person in visits
    ]
    await api.sleep_until(scenario.end)  # visits not begun by now never will
    hour_wall_s = time.monotonic() - wall0
    hour = hour_rates(api.calls, scenario)
    drained = await drain(api, scenario, outcomes)
    api.stop.set()
    _, late = await asyncio.wait(actors + consumers, timeout=30)
    for task in late:
        task.cancel()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "outcomes": outcomes,
        "riders": riders,
        "wall_s": hour_wall_s,
        "drain": drained,
        "hour_per_s": hour,
        "simulator_cpu_s": sum(
            getattr(cpu1, f) - getattr(cpu0, f) for f in ("ru_utime", "ru_stime")
        ),
    }


def hour_rates(calls: list, scenario: Scenario) -> dict:
    """Requests, and couriers' locations, a real second during the scenario's hour."""
    real_s = scenario.duration_minutes * 60 / scenario.speed
    inside = [c for c in calls if scenario.start <= c.at < scenario.end]
    locations = sum(1 for c in inside if c.route == "PUT /v1/courier/location")
    return {"requests": round(len(inside) / real_s, 1), "locations": round(locations / real_s, 1)}


async def drain(api: Api, scenario: Scenario, outcomes: Outcomes) -> dict:
    """After the hour: stores and couriers carry on until every order placed is delivered or
    cancelled, or `drain_minutes` of business time pass; the orders still open are counted."""
    began, wall0 = api.clock.now(), time.monotonic()
    deadline = began + timedelta(minutes=scenario.drain_minutes)
    left = await open_orders(api, outcomes)
    while left and api.clock.now() < deadline and await api.sleep_business(60):
        left = await open_orders(api, outcomes)
    return {
        "minutes": round((api.clock.now() - began).total_seconds() / 60, 1),
        "wall_s": round(time.monotonic() - wall0, 1),
        "open_at_end": len(left),
        "open_orders": left[:20],
    }


async def open_orders(api: Api, outcomes: Outcomes) -> list[int]:
    """Orders neither delivered nor cancelled. One the stores have not accepted may have been
    cancelled by the service (no store left to take it): those are asked about."""
    live = {
        n: o for n, o in outcomes.orders.items() if o["status"] not in ("DELIVERED", "CANCELLED")
    }
    for order_id, order in live.items():
        if order.get("accepted"):
            continue
        answer = await api.call("GET", f"/v1/orders/{order_id}", order["token"])
        if answer is not None and answer.status_code == 200:
            outcomes.mark(order_id, status=answer.json()["status"])
    return [n for n, o in outcomes.orders.items() if o["status"] not in ("DELIVERED", "CANCELLED")]


def _staff_and_couriers(api, scenario, world, outcomes, riders, rng) -> list[asyncio.Task]:
    """A task for each store's staff and each courier, each with its own dice."""
    tasks = [
        asyncio.create_task(store_staff(api, scenario, s, outcomes, random.Random(rng.random())))
        for s in world["stores"]
    ]
    tasks += [
        asyncio.create_task(
            courier(api, scenario, world, c, outcomes, random.Random(rng.random()), riders)
        )
        for c in world["couriers"]
    ]
    return tasks
