"""One simulation run: every actor in its thread, bounded, stopping by itself at the end."""

import random
import resource
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from service.simulate.consumers import Outcomes, arrivals, consumer
from service.simulate.couriers import courier
from service.simulate.http import Api
from service.simulate.scenario import Scenario
from service.simulate.stores import store_staff

# Consumers in a visit at once (each a thread). More only lengthen the service's queue, which
# couriers' and tablets' requests wait in too (an offer lapses in 2 real seconds at 15x).
CONSUMER_THREADS = 32


def run(api: Api, scenario: Scenario, world: dict) -> dict:
    """Play the scenario against the service; answer what the actors saw, for the report."""
    rng = random.Random(scenario.seed)
    outcomes, riders = Outcomes(), []
    cpu0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    threads = _staff_and_couriers(api, scenario, world, outcomes, riders, rng)
    threads_n = max(1, min(CONSUMER_THREADS, len(world["consumers"])))
    with ThreadPoolExecutor(threads_n, thread_name_prefix="consumer") as pool:
        visits = sorted(zip(arrivals(scenario, rng), world["consumers"], strict=True),
                        key=lambda pair: pair[0])  # fmt: skip
        for arrive, person in visits:
            pool.submit(consumer, api, scenario, world, outcomes, person, arrive,
                        random.Random(rng.random()))  # fmt: skip
        api.sleep_until(scenario.end)  # visits not begun by now never will
        hour_wall_s = time.monotonic() - wall0
        drained = drain(api, scenario, outcomes)
        api.stop.set()
    for thread in threads:
        thread.join(timeout=30)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    return {"outcomes": outcomes, "riders": riders, "wall_s": hour_wall_s, "drain": drained,
            "simulator_cpu_s": sum(getattr(cpu1, f) - getattr(cpu0, f)
                                   for f in ("ru_utime", "ru_stime"))}  # fmt: skip


def drain(api: Api, scenario: Scenario, outcomes: Outcomes) -> dict:
    """After the hour: stores and couriers carry on until every order placed is delivered or
    cancelled, or `drain_minutes` of business time pass; the orders still open are counted."""
    began, wall0 = api.clock.now(), time.monotonic()
    deadline = began + timedelta(minutes=scenario.drain_minutes)
    left = open_orders(api, outcomes)
    while left and api.clock.now() < deadline and api.sleep_business(60):
        left = open_orders(api, outcomes)
    return {"minutes": round((api.clock.now() - began).total_seconds() / 60, 1),
            "wall_s": round(time.monotonic() - wall0, 1), "open_at_end": len(left)}  # fmt: skip


def open_orders(api: Api, outcomes: Outcomes) -> list[int]:
    """Orders neither delivered nor cancelled. One the stores have not accepted may have been
    cancelled by the service (no store left to take it): those are asked about."""
    with outcomes.lock:
        live = {n: dict(o) for n, o in outcomes.orders.items()
                if o["status"] not in ("DELIVERED", "CANCELLED")}  # fmt: skip
    for order_id, order in live.items():
        if order.get("accepted"):
            continue
        answer = api.call("GET", f"/v1/orders/{order_id}", order["token"])
        if answer is not None and answer.status_code == 200:
            outcomes.mark(order_id, status=answer.json()["status"])
    return [n for n, o in outcomes.orders.items() if o["status"] not in ("DELIVERED", "CANCELLED")]


def _staff_and_couriers(api, scenario, world, outcomes, riders, rng) -> list[threading.Thread]:
    """A started thread for each store's staff and each courier, each with its own dice."""
    threads = [threading.Thread(target=store_staff, daemon=True, name=f"store-{s['id']}",
                                args=(api, scenario, s, outcomes, random.Random(rng.random())))
               for s in world["stores"]]  # fmt: skip
    threads += [threading.Thread(target=courier, daemon=True, name=f"courier-{c['id']}",
                                 args=(api, scenario, world, c, outcomes,
                                       random.Random(rng.random()), riders))
                for c in world["couriers"]]  # fmt: skip
    for thread in threads:
        thread.start()
    return threads
