"""Benchmark: instructions one request of each busy route costs a real gunicorn worker.

route_cpu.py measures the routes in process, without gunicorn, gevent or the worker's other
threads; city_load.py measures the whole host but on a clock shared with the neighbours. Here
one worker of the `make run` server (LOG_LEVEL=INFO) runs under callgrind, instrumented only
while a phase's requests run (`callgrind_control`), so the figures are the worker's own
instructions per request, everything included (gunicorn, Flask, hooks, session, SQLite or the
PostgreSQL driver, the feed watcher), whatever the machine is doing. One worker: a token's
first request misses the token cache (`_miss`) and its next one within 30 s hits it.
Couriers' and consumers' requests come on a new connection each, as in city_load; tablets
keep theirs. Needs valgrind (without it: a `skipped` line); about 4 minutes per engine, one at
BENCH_SCALE=tiny (fewer requests a phase). Figures: M instructions a request (PostgreSQL's own
work is not in them).
"""

import asyncio
import json
import os
import random
import re
import shutil
import subprocess
from functools import partial
from pathlib import Path
from urllib.parse import urlparse

import aiohttp

from tests.bench import _bench_city
from tests.bench._city_people import seed_people
from tests.bench._common import TINY, emit
from tests.bench.city_load import SKU
from tests.bench.search import _query, _words
from tests.support.live import start_server

ACTORS, WARM, ORDERS, CLIENTS = (60, 20, 30, 4) if TINY else (200, 40, 80, 4)
WARM_ORDERS = ORDERS // 4
CALLGRIND = ("valgrind", "--tool=callgrind", "--trace-children=yes", "--instr-atstart=no")


def main() -> None:
    os.environ.setdefault("HD_TESTING", "1")  # the sandbox is the orders' payment provider
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        emit({"benchmark": "server_ir", "skipped": "valgrind is not installed"})
        return
    _bench_city.each_engine("server_ir", 300, 40, run)


def run(engine: str, url: str, workdir: Path) -> dict:
    world = _seed(url)
    wrapper = (*CALLGRIND, f"--callgrind-out-file={workdir}/callgrind.%p")
    env = {"LOG_LEVEL": "INFO", "GUNICORN_CMD_ARGS": "--timeout 900"}
    server = start_server(url, workdir, workers=1, env=env, wrapper=wrapper, ready_timeout_s=900)
    try:
        figures = asyncio.run(_phases(server, world))
    finally:
        server.stop(quick=True)
    return {"benchmark": "server_ir", "engine": engine, "unit": "M instructions", **figures}


def _seed(url: str) -> dict:
    rng = random.Random("server-ir")
    people = seed_people(
        url,
        rng=rng,
        tablets=ACTORS,
        couriers=ACTORS,
        consumers=ACTORS + ORDERS,
        quota=ACTORS,
        budget_fen=10**9,
    )
    consumers = people.consumers
    words = _words()
    return {
        "tablets": people.tablets,
        "couriers": people.couriers,
        "claimers": consumers[:ACTORS],
        "orderers": list(enumerate(consumers[ACTORS:])),
        "searches": [_query(rng, words, n) for n in range(ACTORS)],
        "claim": f"/v1/campaigns/{people.campaign_id}/claim",
        "rng": rng,
    }


async def _phases(server, world: dict) -> dict:
    """Each phase's requests, after a warm-up phase of the same route (not reported)."""
    figures, cursors, pays = {}, {}, []
    couriers, tablets, orderers = world["couriers"], world["tablets"], world["orderers"]
    first = partial(_first_cursor, cursors=cursors)
    poll, parked = partial(_poll, cursors=cursors, wait=0), partial(_poll, cursors=cursors, wait=2)
    claim, order = partial(_claim, path=world["claim"]), partial(_order, world=world, pays=pays)
    plan = [
        ("warm", couriers[:WARM] * 2, _location, True),
        ("location_miss", couriers[WARM:], _location, True),
        ("location_hit", couriers[WARM:], _location, True),
        ("warm", tablets[:WARM], first, False),
        ("feed_first_miss", tablets[WARM:], first, False),
        ("feed_empty", tablets * 2, poll, False),
        ("warm", world["searches"][:WARM], _search, False),
        ("search", world["searches"], _search, False),
        ("warm", world["claimers"][:WARM], claim, True),
        ("claim_miss", world["claimers"][WARM:], claim, True),
        ("warm", orderers[:WARM_ORDERS], order, True),
        ("order_miss", orderers[WARM_ORDERS:], order, True),
    ]
    for name, items, send, fresh in plan:
        await _phase(server, figures, name, items, send, fresh)
    await _phase(server, figures, "warm", pays[:WARM_ORDERS], _pay, True)
    await _phase(server, figures, "pay", pays[WARM_ORDERS:], _pay, True)
    await _phase(server, figures, "feed_events", tablets, poll, False)  # some stores have some
    await _phase(server, figures, "warm", tablets, first, False)
    await _phase(server, figures, "feed_parked_2s", tablets * 2, parked, False, len(tablets))
    return figures


async def _phase(server, figures, name, items, send, fresh, clients=CLIENTS) -> None:
    pid = server.worker_pids()[0]
    _callgrind("--instr=on", pid)
    _callgrind("--zero", pid)
    queue = list(reversed(items))
    statuses: dict[int, int] = {}
    connector = aiohttp.TCPConnector(limit=0, force_close=fresh)
    async with aiohttp.ClientSession(server.url, connector=connector) as http:

        async def client():
            while queue:
                status = await send(http, queue.pop())
                statuses[status] = statuses.get(status, 0) + 1

        await asyncio.gather(*(client() for _ in range(clients)))
    await asyncio.sleep(0.3)  # the worker's last writes and closes
    counts = _callgrind("-e", pid)
    if name != "warm":
        instructions = sum(
            int(n.replace(",", "")) for n in re.findall(r"Th\s*\d+\s+([\d,]+)", counts)
        )
        figures[f"{name}_mir"] = round(instructions / len(items) / 1e6, 3)
        figures[f"{name}_statuses"] = statuses


def _callgrind(action: str, pid: int) -> str:
    return subprocess.run(
        ["callgrind_control", action, str(pid)], capture_output=True, text=True, check=True
    ).stdout


async def _send(http, method: str, path: str, **options) -> tuple[int, bytes]:
    async with http.request(method, path, **options) as answer:
        return answer.status, await answer.read()


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def _location(http, courier) -> int:
    token, lat, lon = courier
    body = {"lat": lat, "lon": lon}
    return (await _send(http, "PUT", "/v1/courier/location", json=body, headers=_bearer(token)))[0]


async def _first_cursor(http, tablet, *, cursors: dict) -> int:
    status, body = await _send(http, "GET", "/v1/store/feed", headers=_bearer(tablet[1]))
    cursors[tablet[0]] = json.loads(body)["cursor"]
    return status


async def _poll(http, tablet, *, cursors: dict, wait: int) -> int:
    query = {"after": cursors[tablet[0]], "wait": wait}
    headers = _bearer(tablet[1])
    return (await _send(http, "GET", "/v1/store/feed", params=query, headers=headers))[0]


async def _search(http, query: dict) -> int:
    return (await _send(http, "GET", "/v1/products/search", params=query))[0]


async def _claim(http, token: str, *, path: str) -> int:
    body = {"lat": _bench_city.CENTRE[0], "lon": _bench_city.CENTRE[1]}
    return (await _send(http, "POST", path, json=body, headers=_bearer(token)))[0]


async def _order(http, numbered, *, world: dict, pays: list) -> int:
    n, token = numbered
    store_id, _, lat, lon = world["rng"].choice(world["tablets"])
    body = {
        "items": [{"sku": SKU, "qty": 1}],
        "payment_method": "wechat",
        "lat": lat,
        "lon": lon,
        "address": "基准路1号",
        "store_id": store_id,
    }
    headers = {**_bearer(token), "Idempotency-Key": f"server-ir-{n}"}
    status, answer = await _send(http, "POST", "/v1/orders", json=body, headers=headers)
    if status == 201:
        pays.append(urlparse(json.loads(answer)["payment"]["pay_url"]).path)
    return status


async def _pay(http, path: str) -> int:
    return (await _send(http, "POST", path, json={"action": "pay"}))[0]


if __name__ == "__main__":
    main()
