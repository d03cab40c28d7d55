"""Simulated store staff: long-poll the feed; on a tablet accept after a random delay (some
reject, some never answer, some short-pick); everywhere mark the order ready after prep."""

import asyncio
import random

from service.simulate.http import Api
from service.simulate.outcomes import Outcomes
from service.simulate.scenario import Scenario

# A poll holds this much business time unless the scenario says (stores.poll_s): well inside
# the tablet silence (HD_TABLET_SILENCE_S), fewer requests the longer.
POLL_BUSINESS_S = 30
# A `ready` that got no answer is pressed again this much later (a lost one left the goods
# behind the counter for ever: the courier waited at the store through the whole drain).
READY_AGAIN_S = 30


async def store_staff(
    api: Api, scenario: Scenario, store: dict, outcomes: Outcomes, rng: random.Random
) -> None:
    """Run one store's staff until the simulation stops: the tablet long-polls the feed while
    the staff's pending actions (accept, reject, ready) wait their own time beside it."""
    cursor, token, pending = None, store["token"], set()

    def later(business_s: float, action: str, order_id: int) -> None:
        task = asyncio.create_task(
            _after(api, business_s, store, action, order_id, later, outcomes, rng, scenario)
        )
        pending.add(task)
        task.add_done_callback(pending.discard)

    wait = round(min(scenario.stores.get("poll_s", POLL_BUSINESS_S) / api.clock.speed, 25), 2)
    while not api.stop.is_set():
        params = {"wait": wait, **({"after": cursor} if cursor else {})}
        feed = await api.call("GET", "/v1/store/feed", token, params=params)
        if feed is not None and feed.status_code == 200:
            cursor = feed.json()["cursor"]
            for event in feed.json()["events"]:
                _on_event(scenario, store, event, later, rng, outcomes)
        elif not await api.sleep_real(_retry_after(feed)):
            break
    for task in list(pending):
        task.cancel()


def _retry_after(feed) -> float:
    """Real seconds before the next poll after a failed one: a full server's Retry-After."""
    if feed is not None and feed.status_code == 503:
        return float(feed.headers.get("Retry-After", 1))
    return 0.2


async def _after(api: Api, business_s: float, *args) -> None:
    if await api.sleep_business(business_s):
        await _act(api, *args)


def _on_event(
    scenario: Scenario, store: dict, event: dict, later, rng: random.Random, outcomes: Outcomes
) -> None:
    spec, order_id = scenario.stores, event["order_id"]
    if event["kind"] == "accepted":  # from the feed, not the accept's answer, which may be lost
        outcomes.mark(order_id, accepted=True)
        later(store["prep_minutes"] * 60, "ready", order_id)
    # An order another store rejected or let time out arrives here `reassigned`, to accept
    # like a new one (ignoring it left it to time out at every tablet store in turn).
    if event["kind"] not in ("placed", "reassigned") or store["mode"] != "tablet":
        return
    draw, delay = rng.random(), rng.uniform(*spec["accept_delay_s"])
    if draw < spec["timeout_share"]:
        return  # staff never answer: the acceptance deadline job takes over
    later(
        delay,
        "reject" if draw < spec["timeout_share"] + spec["reject_share"] else "accept",
        order_id,
    )


async def _act(
    api: Api,
    store: dict,
    action: str,
    order_id: int,
    later,
    outcomes: Outcomes,
    rng: random.Random,
    scenario: Scenario,
) -> None:
    path, token = f"/v1/store/orders/{order_id}", store["token"]
    if action == "reject":
        await api.call("POST", f"{path}/reject", token, json={"reason": "too_busy"})
        outcomes.mark(order_id, rejected=True)
    elif action == "accept":
        done = await api.call("POST", f"{path}/accept", token)
        accepted = done is not None and done.status_code == 200
        if accepted and rng.random() < scenario.stores["short_pick_share"]:
            await _short_pick(api, path, token, outcomes, order_id)
    elif action == "ready":
        done = await api.call("POST", f"{path}/ready", token)
        if done is not None and done.status_code == 200:
            outcomes.mark(order_id, ready=True)  # on the counter: a waiting courier sees it
        elif done is None or done.status_code >= 500:
            later(READY_AGAIN_S, "ready", order_id)  # no answer: the staff press it again


async def _short_pick(api: Api, path: str, token: str, outcomes: Outcomes, order_id: int) -> None:
    """One unit of the first line with more than one is missing from the shelf."""
    order = await api.call("GET", path, token)
    lines = order.json().get("lines", []) if order is not None and order.status_code == 200 else []
    for line in lines:
        if line.get("qty", 0) > 1:
            await api.call(
                "POST",
                f"{path}/short-pick",
                token,
                json={"line_id": line["id"], "picked_qty": line["qty"] - 1},
            )
            outcomes.mark(order_id, short_picked=True)
            return
