"""The city's evening as asyncio actors on one aiohttp session, in a process of its own.

Tablets long-poll their store's feed as the tablet page does (the next poll as soon as one
answers; a 503 waits its Retry-After; an error waits a second), couriers send a location every
15 s from a random offset, searches, orders (each paid at once at the sandbox cashier) and claims
arrive open-loop at their rates (each at its time, whether or not the last has answered).
Everything seen is returned as plain lists.
"""

import asyncio
import random
import resource
import time
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlparse

import aiohttp

LOCATION_EVERY_S = 15.0


@dataclass
class Plan:
    """What to play: the actors' tokens and the rates, all times relative to the start."""

    url: str
    duration_s: float
    wait_s: int
    tablets: list  # (store_id, token, lat, lon)
    couriers: list  # (token, lat, lon)
    searches: list  # query dicts, played at search_per_s
    search_per_s: float
    orderers: list  # consumer tokens, one order each at order_per_s
    order_per_s: float
    sku: str
    claimers: list  # consumer tokens, one claim each at claim_per_s from claim_from_s
    claim_per_s: float
    claim_from_s: float
    campaign_id: int
    claim_point: dict


@dataclass
class Seen:
    """Every answer (route, status, seconds, started), and what the tablets received."""

    answers: list = field(default_factory=list)
    unanswered: dict = field(default_factory=dict)
    event_lags: list = field(default_factory=list)  # (order_id, event at -> answer, s)
    polls: int = 0
    orders: dict = field(default_factory=dict)  # order id -> store id
    window: tuple = (0.0, 0.0)  # the measured minutes, wall-clock (time.time())
    cpu_s: float = 0.0


def play(plan: Plan) -> Seen:
    """Run the plan to its end (a few seconds more for the last events); what was seen."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
    before = resource.getrusage(resource.RUSAGE_SELF)
    seen = asyncio.run(_play(plan))
    after = resource.getrusage(resource.RUSAGE_SELF)
    seen.cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seen


async def _play(plan: Plan) -> Seen:
    seen = Seen()
    # Idle connections are dropped before gunicorn's keep-alive would close them under a send.
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=1.0)
    timeout = aiohttp.ClientTimeout(total=plan.wait_s + 40)
    async with aiohttp.ClientSession(plan.url, connector=connector, timeout=timeout) as http:
        cursors = await _first_cursors(http, plan, seen)  # every tablet online before the clock
        # An evening's tablets have long-polled for hours, each at its own phase: each starts
        # at a random moment of one wait before the clock, as couriers start at random offsets.
        # (All of them at one instant is a host restarted at a peak: another story.)
        warm = time.monotonic()
        start = warm + plan.wait_s
        end = start + plan.duration_s
        rng = random.Random("city-tablets")
        phases = [warm + rng.uniform(0, plan.wait_s) for _ in plan.tablets]
        tablets = [
            asyncio.create_task(_tablet(http, plan, t, c, first, (start, end), seen))
            for t, c, first in zip(plan.tablets, cursors, phases, strict=True)
        ]
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        began = time.time()
        seen.window = (began, began + plan.duration_s)
        actors = [_courier(http, c, start, end, seen) for c in plan.couriers]
        actors += [
            _searches(http, plan, start, end, seen),
            _orders(http, plan, start, end, seen),
            _claims(http, plan, start, end, seen),
        ]
        await asyncio.gather(*actors)
        await asyncio.sleep(max(0.0, end + 3 - time.monotonic()))  # the last orders' events
        for task in tablets:  # polls still waiting are not counted
            task.cancel()
        await asyncio.gather(*tablets, return_exceptions=True)
    return seen


async def _call(http, seen: Seen, route: str, method: str, path: str, **options):
    """One request: (status, body or None), recorded under `route`; None when unanswered."""
    began = time.monotonic()
    try:
        async with http.request(method, path, **options) as answer:
            body = await answer.json() if answer.status in (200, 201) else None
            seen.answers.append((route, answer.status, time.monotonic() - began, began))
            return answer.status, body, answer.headers
    except (TimeoutError, aiohttp.ClientError) as error:
        name = f"{route}: {type(error).__name__}"
        seen.unanswered[name] = seen.unanswered.get(name, 0) + 1
        return None


async def _first_cursors(http, plan: Plan, seen: Seen) -> list[str]:
    """Each tablet's starting cursor (the page's first feed read), 50 tablets at a time."""
    bound = asyncio.Semaphore(50)

    async def first(tablet) -> str:
        headers = {"Authorization": f"Bearer {tablet[1]}"}
        async with bound:
            for _ in range(30):
                answered = await _call(http, seen, "feed", "GET", "/v1/store/feed", headers=headers)
                if answered and answered[0] == 200:
                    return answered[1]["cursor"]
                await asyncio.sleep(1.0)
            raise RuntimeError(f"store {tablet[0]}'s tablet never got a cursor")

    return await asyncio.gather(*(first(t) for t in plan.tablets))


async def _tablet(http, plan: Plan, tablet, cursor: str, first: float, measured, seen: Seen):
    headers = {"Authorization": f"Bearer {tablet[1]}"}
    start, end = measured
    await asyncio.sleep(max(0.0, first - time.monotonic()))
    while True:
        params = {"wait": plan.wait_s, "after": cursor}
        answered = await _call(
            http, seen, "feed", "GET", "/v1/store/feed", params=params, headers=headers
        )
        if answered is None or answered[0] not in (200, 503):
            await asyncio.sleep(random.uniform(0.5, 1.5))  # the page's first back-off, jittered
            continue
        status, body, answer_headers = answered
        seen.polls += start <= time.monotonic() < end  # polls in the measured minutes
        if status == 503:
            await asyncio.sleep(float(answer_headers.get("Retry-After", 1)))
            continue
        received = time.time()
        for event in body["events"]:
            at = datetime.fromisoformat(event["at"]).timestamp()
            seen.event_lags.append((event["order_id"], event["kind"], received - at))
        cursor = body["cursor"]


async def _courier(http, courier, start: float, end: float, seen: Seen):
    token, lat, lon = courier
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(token)
    tick = start + rng.uniform(0, LOCATION_EVERY_S)
    while tick < end:
        await asyncio.sleep(max(0.0, tick - time.monotonic()))
        lat, lon = lat + rng.uniform(-2e-4, 2e-4), lon + rng.uniform(-2e-4, 2e-4)
        await _call(
            http,
            seen,
            "location",
            "PUT",
            "/v1/courier/location",
            json={"lat": lat, "lon": lon},
            headers=headers,
        )
        tick += LOCATION_EVERY_S  # a slow answer delays this tick, not the next


async def _open_loop(items, per_s: float, begin: float, end: float, send) -> None:
    """send(item) for each item at begin + n / per_s, until `end`, without waiting for answers."""
    tasks = []
    for n, item in enumerate(items):
        at = begin + n / per_s
        if at >= end:
            break
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        tasks.append(asyncio.create_task(send(item)))
    await asyncio.gather(*tasks)


async def _searches(http, plan: Plan, start: float, end: float, seen: Seen):
    async def send(query):
        await _call(http, seen, "search", "GET", "/v1/products/search", params=query)

    await _open_loop(plan.searches, plan.search_per_s, start, end, send)


async def _orders(http, plan: Plan, start: float, end: float, seen: Seen):
    rng = random.Random("city-orders")

    async def send(numbered):
        n, token = numbered
        store_id, _, lat, lon = rng.choice(plan.tablets)
        body = {
            "items": [{"sku": plan.sku, "qty": 1}],
            "payment_method": "wechat",
            "lat": lat,
            "lon": lon,
            "address": "基准路1号",
            "store_id": store_id,
        }
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"city-{n}"}
        answered = await _call(
            http, seen, "order", "POST", "/v1/orders", json=body, headers=headers
        )
        if answered and answered[0] == 201:  # paid at once at the sandbox cashier, as a phone
            cashier = urlparse(answered[1]["payment"]["pay_url"]).path  # would: then it is placed
            paid = await _call(http, seen, "pay", "POST", cashier, json={"action": "pay"})
            if paid and paid[0] == 200:
                seen.orders[answered[1]["order"]["id"]] = store_id

    await _open_loop(list(enumerate(plan.orderers)), plan.order_per_s, start, end, send)


async def _claims(http, plan: Plan, start: float, end: float, seen: Seen):
    path = f"/v1/campaigns/{plan.campaign_id}/claim"

    async def send(token):
        await _call(
            http,
            seen,
            "claim",
            "POST",
            path,
            json=plan.claim_point,
            headers={"Authorization": f"Bearer {token}"},
        )

    begin = start + plan.claim_from_s
    await _open_loop(plan.claimers, plan.claim_per_s, begin, end, send)
