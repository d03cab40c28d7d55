"""Simulated couriers: online for their shift, a position every 15 business seconds while
riding straight lines at the city's speed, offers accepted or declined, the job to the door
with the consumer's code (now and then a wrong one first)."""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from service.geo import rough_km
from service.simulate.http import Api
from service.simulate.outcomes import Outcomes
from service.simulate.scenario import Scenario

TICK_S = 15  # business seconds between location updates


@dataclass
class Rider:
    token: str
    at: list[float]
    speed_kmh: float
    job: dict | None = None
    phase: str = ""  # to_store, at_store, to_door
    waited: int = 0  # ticks at the store without the goods
    busy_s: float = 0.0
    online_s: float = 0.0
    delivered: int = 0


async def courier(
    api: Api,
    scenario: Scenario,
    world: dict,
    person: dict,
    outcomes: Outcomes,
    rng: random.Random,
    riders: list,
) -> None:
    """One courier's shift: a location every 15 business seconds on the clock (a slow answer
    delays that tick, not the ones after it)."""
    rider = Rider(person["token"], list(person["at"]), world["city"]["speed_kmh"])
    riders.append(rider)
    on, off = (scenario.start + timedelta(minutes=m) for m in person["shift"])
    if person["shift"][1] >= scenario.duration_minutes:
        off = datetime.max.replace(tzinfo=UTC)  # the last shift rides through the drain
    if not await api.sleep_until(on):
        return
    await api.call("POST", "/v1/courier/online", rider.token)
    await api.sleep_business(rng.uniform(0, TICK_S))  # couriers' ticks spread, not in step
    last = due = api.clock.now()
    while (last < off or rider.job) and not api.stop.is_set():
        # A tick lasts 15 business seconds when the service answers at once, longer when it
        # is slow: he rides (and is online or busy) for the business time that really passed.
        now = api.clock.now()
        elapsed, last = (now - last).total_seconds(), now
        _move(rider, elapsed)
        rider.online_s += elapsed
        rider.busy_s += elapsed if rider.job else 0
        moved = await api.call(
            "PUT",
            "/v1/courier/location",
            rider.token,
            json={"lat": rider.at[0], "lon": rider.at[1]},
        )
        if rider.job is None:
            if _offered(moved):
                await _take_offer(api, scenario, rider, rng)
        else:
            await _work(api, scenario, rider, outcomes, rng)
        due = max(due + timedelta(seconds=TICK_S), api.clock.now())  # late: no catching up
        await api.sleep_until(due)
    await api.call("POST", "/v1/courier/offline", rider.token)


def _offered(moved) -> bool:
    """Whether an idle courier holds something (an offer): the location's answer says; when
    it did not come, he looks."""
    if moved is None or not moved.is_success:
        return True
    return moved.headers.get("X-Courier-Held", "1") != "0"


async def _take_offer(api: Api, scenario: Scenario, rider: Rider, rng: random.Random) -> None:
    offers = await api.call("GET", "/v1/courier/offers", rider.token)
    for offer in offers.json()["deliveries"] if offers is not None and offers.is_success else []:
        verb = "decline" if rng.random() < scenario.couriers["decline_share"] else "accept"
        answer = await api.call("POST", f"/v1/courier/offers/{offer['id']}/{verb}", rider.token)
        if verb == "accept" and answer is not None and answer.is_success:
            rider.job, rider.phase = offer, "to_store"
            return


async def _work(api: Api, scenario: Scenario, rider: Rider, outcomes: Outcomes, rng) -> None:
    job, path = rider.job, f"/v1/courier/deliveries/{rider.job['id']}"
    if rider.phase == "to_store" and _there(rider, job["store"]):
        await api.call("POST", f"{path}/arrived-at-store", rider.token)
        rider.phase = "at_store"
    if rider.phase == "at_store" and _goods_ready(rider, outcomes):
        answer = await api.call("POST", f"{path}/picked-up", rider.token)
        if answer is not None and answer.is_success:
            rider.phase = "to_door"
        elif answer is not None and answer.status_code in (404, 409) and _gone(answer):
            rider.job = None  # cancelled or re-routed while he waited
    if rider.phase == "to_door" and _there(rider, job["drop_off"]):
        await _hand_over(api, scenario, rider, outcomes, rng, path)


def _goods_ready(rider: Rider, outcomes: Outcomes) -> bool:
    """Whether to ask for the goods: he sees the staff put the bag out (the store's actor
    marked it ready), else he asks at the counter every eighth tick (two minutes)."""
    rider.waited += 1
    if outcomes.orders.get(rider.job["order_id"], {}).get("ready") or rider.waited % 8 == 0:
        rider.waited = 0
        return True
    return False


async def _hand_over(api, scenario, rider: Rider, outcomes: Outcomes, rng, path: str) -> None:
    order_id = rider.job["order_id"]
    code = outcomes.orders.get(order_id, {}).get("code", "0000")
    if rng.random() < scenario.couriers["wrong_code_share"]:
        await api.call(
            "POST",
            f"{path}/delivered",
            rider.token,
            json={"code": f"{(int(code) + 1) % 10000:04d}"},
        )
    answer = await api.call("POST", f"{path}/delivered", rider.token, json={"code": code})
    if answer is not None and answer.is_success:
        outcomes.mark(order_id, status="DELIVERED", delivered_at=api.clock.now())
        rider.delivered += 1
        rider.job = None


def _gone(answer) -> bool:
    """A refusal that will not change by waiting (anything but `not_ready`)."""
    try:
        return answer.json()["error"]["code"] != "not_ready"
    except (ValueError, KeyError, TypeError):
        return True


def _target(rider: Rider) -> dict | None:
    if rider.job is None:
        return None
    return rider.job["store"] if rider.phase in ("to_store", "at_store") else rider.job["drop_off"]


def _there(rider: Rider, place: dict) -> bool:
    return rough_km(tuple(rider.at), (place["lat"], place["lon"])) < 0.05


def _move(rider: Rider, seconds: float) -> None:
    """`seconds` of riding in a straight line towards the current target."""
    target = _target(rider)
    if target is None:
        return
    left = rough_km(tuple(rider.at), (target["lat"], target["lon"]))
    step = rider.speed_kmh * seconds / 3600
    if left <= step:
        rider.at = [target["lat"], target["lon"]]
        return
    share = step / left
    rider.at = [
        rider.at[0] + (target["lat"] - rider.at[0]) * share,
        rider.at[1] + (target["lon"] - rider.at[1]) * share,
    ]
