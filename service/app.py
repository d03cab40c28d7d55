"""The Flask application factory."""

import os
from datetime import datetime

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from service import failpoints, i18n
from service.auth import service as auth_service
from service.auth.setup import install_sign_in
from service.clock import Clock, FrozenClock, ScaledClock, SystemClock
from service.config import Settings
from service.db import Database, make_engine
from service.observability.multiproc import prepare_metrics_dir
from service.web.context import finish_unit_of_work
from service.web.errors import register_error_handlers
from service.web.requests import JSONProvider, NoCookieSession, check_request
from service.web.spec import IdConverter


class HourDeliveryFlask(Flask):
    """Flask, with one unit of work per request: committed only if the view succeeded.

    The commit happens before the response is finalised, so a failed commit becomes an
    error response instead of a success the database never saw.
    """

    def dispatch_request(self):
        try:
            rv = super().dispatch_request()
        except BaseException:
            finish_unit_of_work(commit=False)
            raise
        finish_unit_of_work(commit=True)
        return rv


def create_app(
    config: Settings | None = None, *, clock: Clock | None = None, database: Database | None = None
) -> Flask:
    """Build the app: settings (default from the environment), database, blueprints, errors.

    Tests pass `clock` (to move business time) and `database` (bound inside a rolled-back
    transaction); the server passes neither.
    """
    prepare_metrics_dir()  # before anything imports prometheus_client
    from service.observability import logs, web

    app = HourDeliveryFlask("service", instance_relative_config=True)
    app.json = JSONProvider(app)
    app.session_interface = NoCookieSession()
    app.url_map.converters["int"] = IdConverter  # before any route is added
    settings = config or Settings.from_env(app.instance_path)
    if settings.database_url.startswith("sqlite:///") and not config:
        os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=1 << 20)
    app.json.sort_keys = False
    app.json.ensure_ascii = False  # Chinese names as text, as the pydantic-serialised routes do
    logs.configure_logging(settings.log_level)
    failpoints.configure(settings.failpoints)
    auth_service.configure(caller_ttl_s=settings.caller_ttl_s)

    app.extensions["hourdelivery.settings"] = settings
    app.extensions["hourdelivery.db"] = database or Database(
        make_engine(settings.database_url, echo=settings.sql_echo)
    )
    app.extensions["hourdelivery.clock"] = clock or _clock_from(settings)
    _configure_payments(settings, app.extensions["hourdelivery.clock"])

    web.install(app)  # first, so even a refused body is timed, counted and logged
    _install_feed_waiting(app)
    app.before_request(check_request)
    app.teardown_request(lambda _exc: finish_unit_of_work(commit=False))
    register_error_handlers(app)
    install_sign_in(app)
    i18n.install(app)
    _register_blueprints(app)
    _register_cli(app)
    _trust_proxies(app, settings.proxy_hops)
    return app


def _trust_proxies(app: Flask, hops: int) -> None:
    """Behind `hops` proxies, take the client's address, scheme and host from their headers."""
    if hops:  # never by default: a client could then claim any address in X-Forwarded-For
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _install_feed_waiting(app: Flask) -> None:
    """The work gate around every request and the parked-poll registry of store feeds."""
    from service.tablet import waiting

    gate = waiting.Gate(app.wsgi_app, waiting.working_threads())
    app.wsgi_app = gate
    app.extensions["hourdelivery.gate"] = gate
    app.extensions["hourdelivery.waiters"] = waiting.Waiters(
        app.extensions["hourdelivery.db"], waiting.slots()
    )


def _configure_payments(settings: Settings, clock: Clock) -> None:
    """The merchant accounts of this process; refuses the sandbox outside demo and test mode."""
    from service.payments import accounts, service

    accounts.configure(settings, clock=clock.now)
    service.configure(settings.public_url)


def _clock_from(settings: Settings) -> Clock:
    if settings.frozen_time:
        return FrozenClock(datetime.fromisoformat(settings.frozen_time))
    return ScaledClock.from_env(settings.simulated_time) or SystemClock()


def _register_blueprints(app: Flask) -> None:
    from service.audit.api import bp as audit_bp
    from service.auth.admin_api import bp as accounts_admin_bp
    from service.auth.api import bp as auth_bp
    from service.auth.signin_api import bp as sign_in_bp
    from service.campaigns.admin_api import bp as campaign_admin_bp
    from service.campaigns.api import bp as campaigns_bp
    from service.catalog.api import bp as catalog_bp
    from service.cities.api import bp as cities_bp
    from service.console.api import bp as console_bp
    from service.deliveries.api import bp as deliveries_bp
    from service.deliveries.courier_api import bp as courier_bp
    from service.deliveries.pages import bp as delivery_pages_bp
    from service.deliveries.watch_api import bp as watch_bp
    from service.observability.api import bp as observability_bp
    from service.orders.api import bp as orders_bp
    from service.payments.api import bp as payments_bp
    from service.places.api import bp as places_bp
    from service.pricing.api import bp as pricing_bp
    from service.promotions.api import bp as promotions_bp
    from service.reports.api import bp as reports_bp
    from service.shop.pages import bp as shop_bp
    from service.stores.api import bp as stores_bp
    from service.sync.api import bp as sync_bp
    from service.system.api import bp as system_bp
    from service.tablet.admin_api import bp as store_admin_bp
    from service.tablet.api import bp as tablet_bp
    from service.tablet.pages import bp as tablet_page_bp

    blueprints = (
        system_bp,
        auth_bp,
        stores_bp,
        campaigns_bp,
        campaign_admin_bp,
        pricing_bp,
        orders_bp,
        audit_bp,
        cities_bp,
        sync_bp,
    )
    blueprints += (sign_in_bp, accounts_admin_bp)  # sign-in, sessions, pairing, accounts
    blueprints += (catalog_bp, places_bp, shop_bp)  # product and place search; the shop page
    blueprints += (tablet_bp, store_admin_bp, tablet_page_bp)  # store tablets
    blueprints += (courier_bp, deliveries_bp, delivery_pages_bp, watch_bp)  # couriers, tracking
    blueprints += (reports_bp, promotions_bp, observability_bp, console_bp)  # operators
    blueprints += (payments_bp,)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)


def _register_cli(app: Flask) -> None:
    from service.cli import register_commands

    register_commands(app)
