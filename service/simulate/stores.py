"""Simulated store staff: long-poll the feed; on a tablet accept after a random delay (some
reject, some never answer, some short-pick); everywhere mark the order ready after prep."""

import heapq
import itertools
import random
from datetime import UTC, datetime, timedelta

from service.simulate.consumers import Outcomes
from service.simulate.http import Api
from service.simulate.scenario import Scenario

# A poll holds this much business time unless the scenario says (stores.poll_s): well inside
# the tablet silence (HD_TABLET_SILENCE_S), fewer requests the longer.
POLL_BUSINESS_S = 30


def store_staff(api: Api, scenario: Scenario, store: dict, outcomes: Outcomes,
                rng: random.Random) -> None:  # fmt: skip
    """Run one store's staff until the simulation stops."""
    todo: list = []  # (wall time, n, action, order id)
    order_no = itertools.count()
    cursor, token = None, store["token"]

    def later(business_s: float, action: str, order_id: int) -> None:
        due = datetime.now(UTC) + timedelta(seconds=business_s / api.clock.speed)
        heapq.heappush(todo, (due, next(order_no), action, order_id))

    while not api.stop.is_set():
        wait = scenario.stores.get("poll_s", POLL_BUSINESS_S) / api.clock.speed
        if todo:
            wait = min(wait, max(0.0, (todo[0][0] - datetime.now(UTC)).total_seconds()))
        params = {"wait": round(min(wait, 25), 2), **({"after": cursor} if cursor else {})}
        feed = api.call("GET", "/v1/store/feed", token, params=params)
        if feed is not None and feed.status_code == 200:
            cursor = feed.json()["cursor"]
            for event in feed.json()["events"]:
                _on_event(scenario, store, event, later, rng, outcomes)
        elif api.stop.wait(0.2):
            return
        while todo and todo[0][0] <= datetime.now(UTC):
            _, _, action, order_id = heapq.heappop(todo)
            _act(api, store, action, order_id, later, outcomes, rng, scenario)


def _on_event(scenario: Scenario, store: dict, event: dict, later, rng: random.Random,
              outcomes: Outcomes) -> None:  # fmt: skip
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
    later(delay, "reject" if draw < spec["timeout_share"] + spec["reject_share"] else "accept",
          order_id)  # fmt: skip


def _act(api: Api, store: dict, action: str, order_id: int, later, outcomes: Outcomes,
         rng: random.Random, scenario: Scenario) -> None:  # fmt: skip
    path, token = f"/v1/store/orders/{order_id}", store["token"]
    if action == "reject":
        api.call("POST", f"{path}/reject", token, json={"reason": "too_busy"})
        outcomes.mark(order_id, rejected=True)
    elif action == "accept":
        done = api.call("POST", f"{path}/accept", token)
        accepted = done is not None and done.status_code == 200
        if accepted and rng.random() < scenario.stores["short_pick_share"]:
            _short_pick(api, path, token, outcomes, order_id)
    elif action == "ready":
        done = api.call("POST", f"{path}/ready", token)
        if done is not None and done.status_code == 200:
            outcomes.mark(order_id, ready=True)  # on the counter: a waiting courier sees it


def _short_pick(api: Api, path: str, token: str, outcomes: Outcomes, order_id: int) -> None:
    """One unit of the first line with more than one is missing from the shelf."""
    order = api.call("GET", path, token)
    lines = order.json().get("lines", []) if order is not None and order.status_code == 200 else []
    for line in lines:
        if line.get("qty", 0) > 1:
            api.call("POST", f"{path}/short-pick", token,
                     json={"line_id": line["id"], "picked_qty": line["qty"] - 1})  # fmt: skip
            outcomes.mark(order_id, short_picked=True)
            return
