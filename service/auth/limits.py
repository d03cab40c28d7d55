"""Per-client-address limits on the sign-in routes, through Flask-Limiter.

Storage from HD_RATELIMIT_STORAGE: `memory://` (the default, `make run`) counts per worker
process, so N workers allow up to N times each limit; `redis://127.0.0.1:6379` (several
workers or hosts) counts once for all. HD_RATELIMIT=0 switches these limits off (benchmarks
that measure the per-number limits behind them). The per-number limits live in the database
(service.auth.codes) and hold whatever this says.
"""

import os

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# Per client address; the pairing code also has one limit over every address together.
CODE_REQUESTS = "5 per minute;30 per hour"
PHONE_SIGN_INS = "10 per minute;60 per hour"
OPERATOR_SIGN_INS = "5 per minute;30 per hour"
PAIRINGS = "10 per minute;50 per hour"
PAIRINGS_OVERALL = "120 per minute"
REFRESHES = "60 per minute"

limiter = Limiter(get_remote_address, headers_enabled=True)


def everyone() -> str:
    """One key for every caller: a limit over all addresses together."""
    return "all"


def install_limiter(app: Flask) -> None:
    """Configure storage from the environment and attach the limiter to the app."""
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", os.environ.get("HD_RATELIMIT_STORAGE", "memory://")
    )
    app.config.setdefault("RATELIMIT_ENABLED", os.environ.get("HD_RATELIMIT", "1") != "0")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", os.environ.get("HD_RATELIMIT_PREFIX", "hd"))
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
