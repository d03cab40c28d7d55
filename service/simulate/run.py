"""One simulation run: every actor in its thread, bounded, stopping by itself at the end."""

import random
import resource
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from service.simulate.consumers import Outcomes, arrivals, consumer
from service.simulate.couriers import courier
from service.simulate.http import Api
from service.simulate.scenario import Scenario
from service.simulate.stores import store_staff

# Consumers in a visit at once (each a thread): a drop's burst needs many, a small run few.
CONSUMER_THREADS = 128


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
        api.sleep_until(scenario.end)
        api.stop.set()  # visits not begun by now never will: the run ends on time
    for thread in threads:
        thread.join(timeout=30)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    return {"outcomes": outcomes, "riders": riders, "wall_s": time.monotonic() - wall0,
            "simulator_cpu_s": sum(getattr(cpu1, f) - getattr(cpu0, f)
                                   for f in ("ru_utime", "ru_stime"))}  # fmt: skip


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
