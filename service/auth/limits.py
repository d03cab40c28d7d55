"""Per-client-address limits on the sign-in routes, through the `limits` library.

Only the routes decorated with `limiter.limit` (or `shared_limit`) look at a counter, when they
are called; no other request pays anything for these limits (Flask-Limiter, which this module
replaced, checked every request of the app in a `before_request` hook). Fixed windows, as
before: each limit of a route is counted in turn, the tightest first, and the first one
reached refuses with 429 (`rate_limited`, Retry-After). Every answer of a limited route says
where its tightest limit stands: X-RateLimit-Limit, -Remaining, -Reset (a Unix time).

Storage from HD_RATELIMIT_STORAGE: `memory://` (the default, `make run`) counts per worker
process, so N workers allow up to N times each limit; `redis://127.0.0.1:6379` (several
workers or hosts) counts once for all, under the key prefix HD_RATELIMIT_PREFIX (`hd`).
HD_RATELIMIT=0 switches these limits off (benchmarks that measure the per-number limits behind
them). The per-number limits live in the database (service.auth.codes) and hold whatever this
says.
"""

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import Flask, after_this_request, current_app, request
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from service.errors import TooManyRequests

# Per client address; the pairing code also has one limit over every address together.
CODE_REQUESTS = "5 per minute;30 per hour"
PHONE_SIGN_INS = "10 per minute;60 per hour"
OPERATOR_SIGN_INS = "5 per minute;30 per hour"
PAIRINGS = "10 per minute;50 per hour"
PAIRINGS_OVERALL = "120 per minute"
REFRESHES = "60 per minute"
EXTENSION = "hourdelivery.limits"


def client_address() -> str:
    """The caller's address (behind the trusted proxy, the one it forwarded)."""
    return request.remote_addr or "127.0.0.1"


def everyone() -> str:
    """One key for every caller: a limit over all addresses together."""
    return "all"


@dataclass
class Counters:
    """One app's counters: where they are kept, and whether they are on."""

    strategy: FixedWindowRateLimiter
    prefix: str
    enabled: bool


@dataclass
class Standing:
    """Where one limit stands for this request's key after it was counted."""

    item: RateLimitItem
    remaining: int
    reset_at: float


class Limiter:
    """Decorators for the limited routes; the counters are the current app's."""

    def limit(self, limits: str, *, scope: str | None = None, key: Callable = client_address):
        """Count each call of the view against `limits` ("5 per minute;30 per hour"), per
        `key()` (the client's address) and per route (or per `scope`, shared by its routes)."""
        items = sorted(parse_many(limits))  # the tightest window first, as before

        def decorate(view: Callable) -> Callable:
            named = scope or f"{view.__module__}.{view.__name__}"

            @wraps(view)
            def limited(*args, **kwargs):
                _check(items, named, key())
                return view(*args, **kwargs)

            return limited

        return decorate

    def shared_limit(self, limits: str, *, scope: str, key_func: Callable = client_address):
        """A limit counted once for every route that names the same `scope`."""
        return self.limit(limits, scope=scope, key=key_func)

    def reset(self) -> None:
        """Forget every count of the current app (tests start from zero)."""
        current_app.extensions[EXTENSION].strategy.storage.reset()


limiter = Limiter()


def _check(items: list[RateLimitItem], scope: str, key: str) -> None:
    counters: Counters = current_app.extensions[EXTENSION]
    if not counters.enabled:
        return
    identifiers = (counters.prefix, key, scope)
    standings = []
    for item in items:
        allowed = counters.strategy.hit(item, *identifiers)
        stats = counters.strategy.get_window_stats(item, *identifiers)
        standings.append(Standing(item, stats.remaining, stats.reset_time))
        if not allowed:
            _announce(standings[-1])
            retry = max(1, math.ceil(stats.reset_time - time.time()))
            raise TooManyRequests(f"too many requests: {item}", retry_after_s=retry)
    _announce(min(standings, key=lambda s: (s.remaining, s.reset_at)))


def _announce(standing: Standing) -> None:
    @after_this_request
    def headers(response):
        response.headers["X-RateLimit-Limit"] = str(standing.item.amount)
        response.headers["X-RateLimit-Remaining"] = str(standing.remaining)
        response.headers["X-RateLimit-Reset"] = str(int(standing.reset_at))
        return response


def install_limiter(app: Flask) -> None:
    """The app's counters, configured from the environment."""
    uri = os.environ.get("HD_RATELIMIT_STORAGE", "memory://")
    prefix = os.environ.get("HD_RATELIMIT_PREFIX", "hd")
    options = {"key_prefix": prefix} if uri.startswith("redis") else {}
    app.extensions[EXTENSION] = Counters(
        strategy=FixedWindowRateLimiter(storage_from_string(uri, **options)),
        prefix=prefix,
        enabled=os.environ.get("HD_RATELIMIT", "1") != "0",
    )
