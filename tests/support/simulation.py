"""A peak simulation in the suite: gunicorn and the scheduler on one simulated clock, and
`hourdelivery simulate run` in its own process against them."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.live import ROOT

# Twenty business minutes (10 s) before the drop cover the servers' start and the actors'
# preparation; the orders come in the minutes after the drop, and the drain after the run's
# 36 minutes ends as soon as the last is at the door.
START = "2026-11-25T19:40:00+08:00"
MINUTES = 36
SCENARIO = f"""
city = "changsha"
start = "{START}"
duration_minutes = {MINUTES}
drain_minutes = 30
speed = 120
seed = 7

[consumers]
count = 14
centre = [28.195, 112.976]
radius_km = 1.5
drop_share = 1.0
drop_spread_s = 20
coupon_share = 1.0
cancel_share = 0.0
last_order_minutes = 10
payment_method = "wechat"

[stores]
count = 6
tablet_share = 0.5
accept_delay_s = [10, 30]
reject_share = 0.0
timeout_share = 0.0
short_pick_share = 0.0

[couriers]
count = 8
shifts = [[0, {MINUTES}]]
decline_share = 0.0
wrong_code_share = 0.2

[drop]
at = "2026-11-25T20:00:00+08:00"
claim_minutes = 30
quota = 5
budget_fen = 10000000
funding = [80, 10, 10]
pack = [[3000, 1000, 1], [10000, 3000, 1]]
"""


def simulated_env(speed: float = 120, start: str = START, lead_s: float = 0) -> dict[str, str]:
    """The HD_SIM_* values every process of one simulation shares; the start is `lead_s` from
    now. A tablet is silent after a real minute of business time (900 s at 15×), not 120
    business seconds: a worker writes a store's poll heartbeat at most every 30 real seconds."""
    anchor = datetime.now(UTC) + timedelta(seconds=lead_s)
    return {
        "HD_SIM_START": start,
        "HD_SIM_ANCHOR": anchor.isoformat(),
        "HD_SIM_SPEED": f"{speed:g}",
        "HD_TABLET_SILENCE_S": f"{60 * speed:g}",
    }


def start_scheduler(database_url: str, sim_env: dict, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        **sim_env,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "ERROR",
        "HD_SCHEDULER_LOCK_POLL_S": "0.3",
        "HD_SCHEDULER_REFRESH_S": "5",
    }
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("hourdelivery")), "scheduler"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def simulate(
    server, sim_env: dict, folder: Path, scenario: str | None = SCENARIO, args: tuple = ()
) -> tuple[int, dict, str]:
    """Run the CLI against `server` (scenario None: the shipped default, scaled by `args`):
    its exit code, report.json and output."""
    folder.mkdir(parents=True, exist_ok=True)
    if scenario is not None:
        (folder / "scenario.toml").write_text(scenario, encoding="utf-8")
        args = ("--scenario", str(folder / "scenario.toml"), *args)
    env = {**os.environ, **sim_env, "DATABASE_URL": server.database_url, "LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("hourdelivery")),
            "simulate",
            "run",
            "--url",
            server.url,
            "--out",
            str(folder / "report"),
            *args,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    report = folder / "report" / "report.json"
    figures = json.loads(report.read_text()) if report.exists() else {}
    return done.returncode, figures, done.stdout + done.stderr
