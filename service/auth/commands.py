"""CLI for sign-in: the demo credentials `make run` prints."""

import click
from flask import current_app
from flask.cli import with_appcontext

from service.seed.demo_sign_in import prepare_demo_sign_in
from service.web.context import clock, database


@click.command("demo-sign-in", help="New demo operator credentials and a store pairing code.")
@with_appcontext
def demo_sign_in():
    secret_key = current_app.extensions["hourdelivery.settings"].secret_key
    with database().unit_of_work() as session:
        demo = prepare_demo_sign_in(session=session, secret_key=secret_key, now=clock().now())
    if demo is None:
        raise click.ClickException("no demo operator or store: run `hourdelivery fixtures load`")
    click.echo(
        f"  Console:  user {demo.operator}  password {demo.password}  "
        f"TOTP secret {demo.totp_secret}"
    )
    click.echo(f"  Tablet:   pairing code {demo.pairing_code} for {demo.store} (10 minutes)")
    click.echo("  Shop/courier: sign in with a demo number (13800000001…, couriers 13900000001…);")
    click.echo("            in demo mode the page shows the code the SMS sink kept")
