"""The simulator's HTTP side: one aiohttp session on one event loop over loopback, every call
timed and recorded under its route template, and the simulated clock the actors sleep on.

Every actor is an asyncio task, so a request costs the simulator its parsing and little else:
the thread-per-actor version (530 threads on one GIL, httpx) spent 5.2-5.5 ms of CPU a request,
more than the service's own 3.4 ms, and could not send the load it described."""

import asyncio
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp

from service.clock import ScaledClock

IDS = re.compile(r"/\d+(?=/|$)")
# Under gunicorn's keep-alive (HD_KEEPALIVE_S, 2 s): a connection the server may be closing is
# never reused, so an idle actor's next request does not meet a reset.
KEEPALIVE_S = 1.5


@dataclass
class Call:
    route: str
    status: int  # 0: no answer (connection refused, reset or timed out)
    ms: float
    at: datetime  # business time


@dataclass
class Answer:
    """A response read to the end: the status, headers and body (JSON parsed on demand)."""

    status_code: int
    headers: Mapping[str, str]  # case-insensitive (aiohttp's multidict)
    body: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    def json(self):
        return json.loads(self.body)


@dataclass
class Api:
    """Calls the service as its clients would; keeps every call's route, status and latency.
    Open it (`async with api`) inside the running loop; `connections` bounds the pool."""

    base_url: str
    clock: ScaledClock
    connections: int = 64
    calls: list[Call] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self):
        if not self.base_url.startswith(("http://127.", "http://localhost")):
            raise ValueError("the simulator drives a service on loopback only")
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> "Api":
        connector = aiohttp.TCPConnector(
            limit=self.connections, limit_per_host=0, keepalive_timeout=KEEPALIVE_S
        )
        self.session = aiohttp.ClientSession(
            self.base_url, connector=connector, timeout=aiohttp.ClientTimeout(total=30)
        )
        return self

    async def __aexit__(self, *exc) -> None:
        await self.session.close()

    async def call(self, method: str, path: str, token: str | None = None, **kwargs):
        """One request; the Answer, or None when the service did not answer."""
        headers = kwargs.pop("headers", {})
        if token:
            headers = {**headers, "Authorization": f"Bearer {token}"}
        began = time.perf_counter()
        try:
            async with self.session.request(method, path, headers=headers, **kwargs) as response:
                answer = Answer(response.status, response.headers, await response.read())
        except (aiohttp.ClientError, TimeoutError):
            answer = None
        route = f"{method} {IDS.sub('/{id}', path.split('?')[0])}"
        self.calls.append(
            Call(
                route,
                answer.status_code if answer is not None else 0,
                (time.perf_counter() - began) * 1000,
                self.clock.now(),
            )
        )
        return answer

    async def sleep_until(self, business: datetime) -> bool:
        """Sleep until business time `business`; False when the run was stopped first."""
        wait = self.clock.wall(business) - datetime.now(UTC)
        return await self.sleep_real(wait.total_seconds())

    async def sleep_business(self, seconds: float) -> bool:
        """Sleep `seconds` of business time; False when the run was stopped first."""
        return await self.sleep_real(seconds / self.clock.speed)

    async def sleep_real(self, real_s: float) -> bool:
        if self.stop.is_set():
            return False
        if real_s > 0:
            try:
                await asyncio.wait_for(self.stop.wait(), real_s)
            except TimeoutError:
                return True
        return not self.stop.is_set()
