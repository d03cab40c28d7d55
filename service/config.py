"""Configuration read from the environment, with defaults for a laptop."""

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to start; built from the environment by `from_env`."""

    database_url: str
    secret_key: str = "dev-only-not-secret"
    log_level: str = "INFO"
    # Test-only: name -> action at that failpoint (see service.failpoints).
    failpoints: dict[str, str] = field(default_factory=dict)
    sql_echo: bool = False
    # Test/demo only: an ISO timestamp the business clock stands still at.
    frozen_time: str | None = None
    # Demo/simulation only, never production: HD_SIM_START, HD_SIM_ANCHOR, HD_SIM_SPEED
    # (service.clock.ScaledClock); empty when unset.
    simulated_time: dict[str, str] = field(default_factory=dict)
    # The longest a store-feed long-poll waits (HD_MAX_POLL_WAIT_S, at most 25 s); the API
    # fuzz test sets it low so that its generated polls answer at once.
    max_poll_wait_s: float = 25.0
    # How long each process trusts a live token or session it has checked (HD_CALLER_TTL_S):
    # the bound on a revocation reaching the other workers. The live sign-in tests set it low.
    caller_ttl_s: float = 30.0
    # Demo only (HD_DEMO=1, set by `make run`): the shop lists the demo consumers to sign in as.
    demo: bool = False
    # Proxies in front whose X-Forwarded-For/-Proto/-Host are trusted (nginx: 1; none: 0).
    proxy_hops: int = 0
    # Test mode (HD_TESTING=1, set by the test suite): the payment sandbox is allowed.
    testing: bool = field(default_factory=lambda: os.environ.get("HD_TESTING") == "1")
    # JSON file of merchant accounts (service/payments/accounts.py); none: the sandbox only.
    payment_accounts_file: str | None = field(
        default_factory=lambda: os.environ.get("HD_PAYMENT_ACCOUNTS") or None
    )
    # The sandbox provider's books (a SQLite file of its own).
    sandbox_path: str = field(
        default_factory=lambda: (
            os.environ.get("HD_PAY_SANDBOX_DB")
            or os.path.join(tempfile.gettempdir(), "hourdelivery-pay-sandbox.sqlite3")
        )
    )
    # Where providers reach this service (the notify URLs), e.g. https://pay.example.cn
    public_url: str = field(
        default_factory=lambda: os.environ.get("HD_PUBLIC_URL", "http://127.0.0.1:5000")
    )

    @classmethod
    def from_env(cls, instance_path: str | os.PathLike) -> "Settings":
        """Read DATABASE_URL, SECRET_KEY, LOG_LEVEL and HD_FAILPOINTS from the environment."""
        default_db = "sqlite:///" + str(Path(instance_path) / "hourdelivery.sqlite3")
        return cls(
            database_url=os.environ.get("DATABASE_URL") or default_db,
            secret_key=os.environ.get("SECRET_KEY", cls.secret_key),
            log_level=os.environ.get("LOG_LEVEL", cls.log_level).upper(),
            failpoints=parse_failpoints(os.environ.get("HD_FAILPOINTS", "")),
            sql_echo=os.environ.get("SQL_ECHO", "") == "1",
            frozen_time=os.environ.get("HD_FROZEN_TIME") or None,
            simulated_time={k: v for k, v in os.environ.items() if k.startswith("HD_SIM_")},
            max_poll_wait_s=min(25.0, float(os.environ.get("HD_MAX_POLL_WAIT_S") or 25.0)),
            caller_ttl_s=float(os.environ.get("HD_CALLER_TTL_S") or cls.caller_ttl_s),
            demo=os.environ.get("HD_DEMO") == "1",
            proxy_hops=int(os.environ.get("HD_PROXY_HOPS") or 0),
        )


def parse_failpoints(text: str) -> dict[str, str]:
    """Parse `name=action,name2=action` (action: seconds to sleep, or `raise`)."""
    points: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, action = part.partition("=")
        points[name.strip()] = action.strip() or "0"
    return points
