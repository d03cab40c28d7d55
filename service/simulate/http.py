"""The simulator's HTTP side: one pooled httpx client over loopback, every call timed and
recorded under its route template, and the simulated clock the actors sleep on."""

import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from service.clock import ScaledClock

IDS = re.compile(r"/\d+(?=/|$)")


@dataclass
class Call:
    route: str
    status: int  # 0: no answer (connection refused, reset or timed out)
    ms: float
    at: datetime  # business time


@dataclass
class Api:
    """Calls the service as its clients would; keeps every call's route, status and latency."""

    base_url: str
    clock: ScaledClock
    workers: int = 64
    calls: list[Call] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        if not self.base_url.startswith(("http://127.", "http://localhost")):
            raise ValueError("the simulator drives a service on loopback only")
        limits = httpx.Limits(max_connections=self.workers, max_keepalive_connections=self.workers)
        self.client = httpx.Client(base_url=self.base_url, timeout=30, limits=limits)
        self._lock = threading.Lock()

    def call(self, method: str, path: str, token: str | None = None, **kwargs):
        """One request; the response, or None when the service did not answer."""
        headers = {**kwargs.pop("headers", {}), **({"Authorization": f"Bearer {token}"}
                                                   if token else {})}  # fmt: skip
        began = time.perf_counter()
        try:
            response = self.client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError:
            response = None
        route = f"{method} {IDS.sub('/{id}', path.split('?')[0])}"
        call = Call(route, response.status_code if response is not None else 0,
                    (time.perf_counter() - began) * 1000, self.clock.now())  # fmt: skip
        with self._lock:
            self.calls.append(call)
        return response

    def sleep_until(self, business: datetime) -> bool:
        """Sleep until business time `business`; False when the run was stopped first."""
        wait = (self.clock.wall(business) - datetime.now(UTC)).total_seconds()
        return not self.stop.wait(max(0.0, wait))

    def sleep_business(self, seconds: float) -> bool:
        """Sleep `seconds` of business time; False when the run was stopped first."""
        return not self.stop.wait(max(0.0, seconds / self.clock.speed))

    def close(self) -> None:
        self.client.close()
