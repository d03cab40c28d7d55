"""Simulated consumers: arrive on the scenario's curve, browse a store in play, claim at the
drop, quote, order (retrying with the same Idempotency-Key), pay at the cashier (at once, late,
or never), and now and then cancel."""

import random
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlparse

from service.simulate.http import Api
from service.simulate.outcomes import Outcomes, answer_code
from service.simulate.scenario import Scenario


def arrivals(scenario: Scenario, rng: random.Random) -> list[datetime]:
    """Arrival times: a share bunched after the drop, the rest spread over the ordering span."""
    spec = scenario.consumers
    last = scenario.end - timedelta(minutes=spec["last_order_minutes"])
    span_s = max(1.0, (last - scenario.start).total_seconds())
    times = []
    for _ in range(spec["count"]):
        if rng.random() < spec["drop_share"]:
            offset = rng.expovariate(1 / spec["drop_spread_s"])
            times.append(min(last, scenario.drop_at + timedelta(seconds=offset)))
        else:
            times.append(scenario.start + timedelta(seconds=rng.uniform(0, span_s)))
    return times


async def consumer(
    api: Api,
    scenario: Scenario,
    world: dict,
    outcomes: Outcomes,
    person: dict,
    arrive: datetime,
    rng: random.Random,
    room,
) -> None:
    """One consumer's visit, from arrival to an order (or a refusal, or leaving); `room` (a
    semaphore) bounds the visits under way at once."""
    if not await api.sleep_until(arrive):
        return outcomes.refuse(None, "never_began")
    async with room:
        if api.clock.now() >= scenario.end or api.stop.is_set():
            return outcomes.refuse(None, "never_began")  # the hour ended before it could start
        await _visit(api, scenario, world, outcomes, person, arrive, rng)


async def _visit(
    api: Api,
    scenario: Scenario,
    world: dict,
    outcomes: Outcomes,
    person: dict,
    arrive: datetime,
    rng: random.Random,
) -> None:
    token, (lat, lon) = person["token"], person["home"]
    store = await _pick_store(api, world, token, lat, lon, rng)
    items = await _basket(api, store, token, rng)
    if not items:
        return outcomes.refuse(None, "empty_menu")
    if arrive >= scenario.drop_at and rng.random() < scenario.consumers["coupon_share"]:
        await claim(api, world, outcomes, token, lat, lon)
    if rng.random() >= scenario.consumers.get("order_share", 1.0):
        return outcomes.left()  # looked (and claimed for later): not every visit orders now
    body = {
        "items": items,
        "lat": lat,
        "lon": lon,
        "store_id": store["id"],
        "payment_method": scenario.consumers["payment_method"],
    }
    quote = await api.call("POST", "/v1/quote", token, json=body)
    if quote is None or quote.status_code != 200:
        return outcomes.refuse(quote)
    suggested = quote.json().get("suggested_coupon")
    payable = suggested["payable_fen"] if suggested else quote.json()["payable_fen"]
    body |= {
        "address": "模拟路1号",
        "expected_payable_fen": payable,
        "coupon_id": suggested["coupon_id"] if suggested else None,
    }
    order = await place(api, token, body)
    if order is None or order.status_code != 201:
        return outcomes.refuse(order)
    outcomes.placed(order.json(), store, api.clock.now(), token)
    if await pay(api, scenario, outcomes, token, order.json(), rng) and (
        rng.random() < scenario.consumers["cancel_share"]
    ):
        await _cancel(api, outcomes, token, order.json()["order"]["id"], rng)


# How consumers pay (scenario keys of [consumers], these by default): most at once, some
# late but before pay_by, some never (close_unpaid closes those at pay_by). The sandbox is
# asked per payment to deliver its notification twice or never (query_payments finds those).
PAYING = {
    "pay_late_share": 0.08,
    "abandon_share": 0.06,
    "notify_twice_share": 0.05,
    "notify_lost_share": 0.05,
}


async def pay(
    api: Api, scenario: Scenario, outcomes: Outcomes, token: str, placed: dict, rng: random.Random
) -> bool:
    """Pay the order's payment at the sandbox cashier, as the consumer's phone would; whether
    it was paid."""
    spec, order_id = PAYING | scenario.consumers, placed["order"]["id"]
    payment = placed.get("payment") or {}
    if payment.get("status") != "OPEN" or not payment.get("pay_url"):
        outcomes.mark(order_id, payment="paid" if payment.get("status") == "PAID" else "none")
        return payment.get("status") == "PAID"
    roll, late = rng.random(), False
    if roll < spec["abandon_share"]:
        outcomes.mark(order_id, payment="abandoned")  # leaves the cashier: nothing is pressed
        return False
    if roll < spec["abandon_share"] + spec["pay_late_share"]:
        left_s = (_time(payment["pay_by"]) - api.clock.now()).total_seconds()
        late = await api.sleep_business(rng.uniform(min(60, left_s / 2), max(60, left_s - 120)))
    roll, twice, lost = rng.random(), spec["notify_twice_share"], spec["notify_lost_share"]
    deliver = "twice" if roll < twice else "never" if roll < twice + lost else "now"
    answer = await api.call(
        "POST", urlparse(payment["pay_url"]).path, json={"action": "pay", "deliver": deliver}
    )
    if answer is None or answer.status_code != 200:
        outcomes.mark(order_id, payment="refused")
        return False
    outcomes.mark(
        order_id,
        payment="paid_late" if late else "paid",
        notified=deliver,
        account=urlparse(payment["pay_url"]).path.split("/")[3],
    )
    seen = await api.call("GET", f"/v1/orders/{order_id}", token)
    if seen is not None and seen.status_code == 200 and seen.json().get("promised_at"):
        outcomes.mark(order_id, promised_at=seen.json()["promised_at"])  # counts from payment
    return True


async def _basket(api: Api, store: dict, token: str, rng: random.Random) -> list[dict]:
    """One to three products the store's menu shows in stock, one or two of each."""
    menu = await api.call("GET", f"/v1/stores/{store['id']}/products", token)
    listed = menu.json()["items"] if menu is not None and menu.status_code == 200 else []
    goods = [item for item in listed if item["availability"] == "in"]
    chosen = rng.sample(goods, min(3, len(goods)))
    return [{"sku": item["sku"], "qty": rng.randint(1, 2)} for item in chosen]


async def _cancel(api: Api, outcomes: Outcomes, token: str, order_id: int, rng) -> None:
    """Change one's mind half a minute to two minutes later."""
    if await api.sleep_business(rng.uniform(30, 120)):
        done = await api.call("POST", f"/v1/orders/{order_id}/cancel", token, json={})
        if done is not None and done.status_code == 200:
            outcomes.mark(order_id, status="CANCELLED")


async def _pick_store(api: Api, world: dict, token: str, lat: float, lon: float, rng) -> dict:
    """A store in play that delivers here, as the shop's nearby list shows (else any)."""
    nearby = await api.call(
        "GET",
        "/v1/stores/nearby",
        token,
        params={"lat": lat, "lon": lon, "radius_km": 5, "open": "true", "limit": 100},
    )
    listed = {s["id"] for s in nearby.json()["stores"]} if nearby and nearby.is_success else set()
    playing = [s for s in world["stores"] if s["id"] in listed]
    return rng.choice(playing or world["stores"])


async def claim(
    api: Api, world: dict, outcomes: Outcomes, token: str, lat: float, lon: float
) -> None:
    answer = await api.call(
        "POST", f"/v1/campaigns/{world['campaign_id']}/claim", token, json={"lat": lat, "lon": lon}
    )
    got = answer is not None and answer.status_code == 201
    outcomes.claims.append((api.clock.now(), "issued" if got else answer_code(answer)))


async def place(api: Api, token: str, body: dict, attempts: int = 3):
    """POST /v1/orders, retried with the same Idempotency-Key while the service errs; a
    `price_changed` is accepted once at the new price, as the shop asks its user to."""
    key, repriced = str(uuid.uuid4()), False
    for _ in range(attempts):
        answer = await api.call(
            "POST", "/v1/orders", token, json=body, headers={"Idempotency-Key": key}
        )
        if answer is not None and answer_code(answer) == "price_changed" and not repriced:
            body = {**body, "expected_payable_fen": answer.json()["error"]["quote"]["payable_fen"]}
            key, repriced = str(uuid.uuid4()), True  # a new order: the old key holds the 409
            continue
        if answer is not None and answer.status_code < 500:
            return answer
        await api.sleep_business(5)
    return answer


def _time(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
