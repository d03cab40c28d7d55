"""`hourdelivery simulate`: `env` prints the simulated clock to start the service with;
`run` prepares the actors and plays the scenario against the running service."""

import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from flask.cli import AppGroup

from service.clock import ScaledClock
from service.simulate.http import Api
from service.simulate.operator import create_promotions, read_reconciliation, read_reports
from service.simulate.prepare import prepare_world
from service.simulate.report import build_report, passed, write_report
from service.simulate.run import run, visits_at_once
from service.simulate.scenario import load_scenario
from service.web.context import database

HEADLINE = (
    "orders_placed",
    "orders_delivered",
    "on_time_rate",
    "server_5xx",
    "reconciled",
    "payments",
    "wall_s",
    "drain",
    "simulator_cpu_s",
)
simulate_group = AppGroup("simulate", help="Replay a city's peak through the running service.")
SCENARIO = click.option(
    "--scenario",
    "scenario_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Scenario TOML (default: Changsha's 20:00 drop).",
)


@simulate_group.command("env", help="Print HD_SIM_* for the service, the scheduler and `run`.")
@SCENARIO
@click.option("--lead-s", default=15.0, help="Real seconds before the scenario's start.")
def simulate_env(scenario_path: str | None, lead_s: float):
    scenario = load_scenario(scenario_path)
    anchor = datetime.now(UTC) + timedelta(seconds=lead_s)
    click.echo(f"HD_SIM_START={scenario.start.isoformat()}")
    click.echo(f"HD_SIM_ANCHOR={anchor.isoformat()}")
    click.echo(f"HD_SIM_SPEED={scenario.speed:g}")


@simulate_group.command("run", help="Prepare the actors, play the scenario, write the report.")
@SCENARIO
@click.option("--url", default="http://127.0.0.1:5000", help="The running service (loopback).")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default="instance/simulation",
    help="Folder for report.json and index.html.",
)
@click.option("--consumers", type=int)
@click.option("--stores", type=int)
@click.option("--couriers", type=int)
@click.option("--quota", type=int, help="Packs in the drop's batch.")
@click.option("--duration-minutes", type=float)
@click.option("--speed", type=float, help="Business seconds per real second (= HD_SIM_SPEED).")
@click.option("--visits-at-once", type=int, help="Consumers' visits under way at once (32).")
@click.option("--drain-minutes", type=float, help="Most business minutes to finish orders after.")
def simulate_run(scenario_path, url, out, **scale):
    scenario = load_scenario(scenario_path).scaled(**scale)
    clock = ScaledClock.from_env(os.environ)
    if clock is None or abs(clock.speed - scenario.speed) > 1e-9:
        raise click.UsageError(
            "run the service, the scheduler and this command with the "
            "HD_SIM_* values of `hourdelivery simulate env`"
        )
    began = time.monotonic()
    with database().unit_of_work() as session:
        world = prepare_world(session=session, scenario=scenario, now=clock.now())
    click.echo(
        f"prepared in {time.monotonic() - began:.1f} s; business time {clock.now()}", err=True
    )
    if clock.now() >= scenario.drop_at:
        click.echo("warning: the drop had begun before the actors were ready", err=True)
    # A connection for each tablet's parked poll and each courier, and the consumers' visits.
    api = Api(url, clock, len(world["stores"]) + len(world["couriers"]) + visits_at_once(scenario))
    report = asyncio.run(_play(api, scenario, world))
    page = write_report(report, Path(out))
    headline = {k: report[k] for k in HEADLINE}
    click.echo(json.dumps(headline))
    click.echo(f"report: {page}")
    if not passed(report):
        sys.exit(1)


async def _play(api: Api, scenario, world: dict) -> dict:
    """Promotions, the run and the reports, on one event loop with one HTTP session."""
    async with api:
        promotions = await create_promotions(api, scenario, world)
        played = await run(api, scenario, world)
        campaign, city = await read_reports(api, scenario, world)
        accounts = {o["account"] for o in played["outcomes"].orders.values() if o.get("account")}
        played["reconciliation"] = await read_reconciliation(api, scenario, world, accounts)
    report = build_report(api, played, campaign, scenario.drop["quota"])
    return report | {"promotions": promotions, "city_report": city}
