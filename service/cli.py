"""The `hourdelivery` command line (also `flask --app service ...`). One transaction per call."""

from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from sqlalchemy import text
from sqlmodel import Session

from service.auth.models import Role
from service.auth.service import issue_token, revoke_token
from service.db import migrate
from service.errors import DomainError
from service.jobs.registry import JOBS
from service.jobs.runner import run_job
from service.seed.demo import issue_demo_tokens
from service.seed.loader import load_fixtures
from service.web.context import clock, database

ROLE_OPTIONS = {
    "store": Role.STORE,
    "consumer": Role.CONSUMER,
    "courier": Role.COURIER,
    "operator": Role.OPERATOR,
}


def main() -> None:
    """Entry point of the `hourdelivery` console script."""
    from service.app import create_app

    FlaskGroup(create_app=create_app, help="Hour-delivery fulfilment service.")()


def register_commands(app: Flask) -> None:
    """Attach the command groups to `app.cli`."""
    from service.auth.commands import demo_sign_in
    from service.simulate.commands import simulate_group
    from service.sync.commands import scheduler_command, sync_command

    for group in (
        db_group,
        fixtures_group,
        tokens_group,
        jobs_group,
        demo_tokens,
        sync_command,
        scheduler_command,
        simulate_group,
        demo_sign_in,
        check_group,
    ):
        app.cli.add_command(group)


db_group = AppGroup("db", help="Database schema.")


@db_group.command("upgrade", help="Apply migrations up to REVISION (default: head).")
@click.argument("revision", default="head")
def db_upgrade(revision: str):
    migrate.upgrade(database().engine, revision)
    click.echo(f"database at {revision}: {_safe_url()}")


@db_group.command("downgrade", help="Revert migrations down to REVISION (e.g. base).")
@click.argument("revision")
def db_downgrade(revision: str):
    migrate.downgrade(database().engine, revision)
    click.echo(f"database at {revision}: {_safe_url()}")


fixtures_group = AppGroup("fixtures", help="Seed data.")


@fixtures_group.command("load", help="Load the seed world; loading twice duplicates nothing.")
@click.option("--scale", default=1, type=click.IntRange(1, 100), help="Multiply store counts.")
def fixtures_load(scale: int):
    with unit_of_work() as session:
        counts = load_fixtures(session=session, now=clock().now(), scale=scale)
    with unit_of_work() as session:  # SQLite never gathers planner statistics by itself
        session.execute(text("ANALYZE"))
    click.echo("fixtures loaded: " + ", ".join(f"{k}={v}" for k, v in counts.items()))


tokens_group = AppGroup("tokens", help="API tokens.")


@tokens_group.command("create", help="Create a token; it is printed once and stored hashed.")
@click.option("--role", required=True, type=click.Choice(sorted(ROLE_OPTIONS)))
@click.option("--store", "store_id", type=int, help="Store id (role store).")
@click.option("--consumer", "consumer_id", type=int, help="Consumer id (role consumer).")
@click.option("--courier", "courier_id", type=int, help="Courier id (role courier).")
@click.option("--operator", "operator_id", type=int, help="Operator id (role operator).")
@click.option("--label", default="cli")
def tokens_create(role: str, label: str, **ids):
    principal_id = ids.get(f"{role}_id")
    if principal_id is None:
        raise click.UsageError(f"--role {role} needs --{role} ID")
    with unit_of_work() as session:
        _, secret = issue_token(
            session=session,
            role=ROLE_OPTIONS[role],
            principal_id=principal_id,
            now=clock().now(),
            label=label,
        )
    click.echo(secret)


@tokens_group.command("revoke", help="Revoke a token by id; workers refuse it within 30 s.")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int):
    with unit_of_work() as session:
        if not revoke_token(session=session, token_id=token_id, now=clock().now()):
            raise click.ClickException(f"no live token with id {token_id}")
    click.echo(f"token {token_id} revoked")


jobs_group = AppGroup("jobs", help="Scheduled jobs, run once by hand.")


@jobs_group.command("list", help="Name and describe every job.")
def jobs_list():
    for name, job in JOBS.items():
        click.echo(f"{name:<24} {job.description}")


@jobs_group.command("run", help="Run one job now, each item in its own transaction.")
@click.argument("name", type=click.Choice(sorted(JOBS)))
def jobs_run(name: str):
    report = run_job(JOBS[name], database=database(), now=clock().now())
    click.echo(f"{name}: items={report.items} changed={report.changed} failed={len(report.failed)}")
    if report.failed:
        raise click.ClickException(f"{len(report.failed)} item(s) failed: {report.failed}")


check_group = AppGroup("check", help="Invariant checks, for operators after an incident.")


@check_group.command(
    "money",
    help="Recompute money, stock, coupons and order histories from "
    "their rows; print every difference, exit 1 on any.",
)
def check_money():
    from service.checks.service import find_differences

    with database().unit_of_work(write=False) as session:
        found = find_differences(session=session)
    for difference in found:
        click.echo(difference.line())
    click.echo(f"{len(found)} difference(s)")
    if found:
        raise SystemExit(1)


@click.command("demo-tokens", help="Issue and print a demo token for each role.")
@with_appcontext
def demo_tokens():
    with unit_of_work() as session:
        issued = issue_demo_tokens(session=session, now=clock().now())
    for role, name, secret in issued:
        click.echo(f"  {role:<9} {name:<24} {secret}")


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction per CLI call; a domain refusal becomes a clean error message."""
    try:
        with database().unit_of_work() as session:
            yield session
    except DomainError as error:
        raise click.ClickException(error.message) from error


def _safe_url() -> str:
    return database().engine.url.render_as_string(hide_password=True)
