"""Fixtures shared by the suite.

Every database test runs on SQLite and on PostgreSQL (the `engine` parameter). Each engine gets
one migrated, seeded template per run; in-process tests run inside a transaction that is
rolled back (the app's commits only release a SAVEPOINT); live-server tests get their own copy.
"""

import os
import tempfile
from datetime import UTC, datetime

import pytest

# Test mode: the payment sandbox is allowed (here and in the servers and CLIs tests start).
os.environ["HD_TESTING"] = "1"
# The sandbox provider's books: one file per test process, shared with the servers it starts.
# An xdist worker inherits the controller's environment, so it always makes its own.
if os.environ.get("PYTEST_XDIST_WORKER") or not os.environ.get("HD_PAY_SANDBOX_DB"):
    os.environ["HD_PAY_SANDBOX_DB"] = os.path.join(tempfile.mkdtemp(), "sandbox.sqlite3")

from service import caches, create_app
from service.auth.limits import limiter
from service.clock import FrozenClock
from service.config import Settings
from service.db import Database, make_engine
from service.seed.demo_sign_in import prepare_demo_sign_in
from tests.support.browser import launch_browser
from tests.support.databases import Template, build_template, drop_template
from tests.support.live import start_server

ENGINES = ("sqlite", "postgresql")
# The seed world's campaign windows are relative to load time, so load it at "now".
SEEDED_AT = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="session", params=ENGINES)
def template(request, tmp_path_factory) -> Template:
    """The migrated, seeded template database for one engine."""
    workdir = tmp_path_factory.mktemp(request.param)
    built = build_template(request.param, workdir, SEEDED_AT)
    yield built
    drop_template(built)


@pytest.fixture(scope="session")
def engine_under_test(template: Template):
    """A SQLAlchemy engine on a session-long copy of the template, for in-process tests."""
    url = template.copy()
    engine = make_engine(url)
    yield engine
    engine.dispose()
    template.drop(url)


@pytest.fixture
def real_database(template: Template):
    """A Database on its own copy of the template, committing for real (no outer transaction)."""
    url = template.copy()
    database = Database(make_engine(url))
    yield database
    database.engine.dispose()
    template.drop(url)


@pytest.fixture
def db(engine_under_test) -> Database:
    """A Database whose every commit lands in a SAVEPOINT rolled back after the test."""
    caches.clear_all()  # rows cached by an earlier test were rolled back with it
    connection = engine_under_test.connect()
    outer = connection.begin()
    database = Database(engine_under_test)
    database.bind = connection
    database.join_transaction_mode = "create_savepoint"
    yield database
    outer.rollback()
    connection.close()


@pytest.fixture
def session(db):
    """A session inside the test's rolled-back transaction."""
    with db.session() as session:
        yield session


@pytest.fixture
def clock() -> FrozenClock:
    """Business time, frozen at the moment the seed world was loaded; tests may move it."""
    return FrozenClock(SEEDED_AT)


@pytest.fixture
def app(db, clock):
    settings = Settings(database_url="sqlite://", secret_key="test")
    return create_app(settings, clock=clock, database=db)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def fresh_limits(app):
    """No sign-in attempt counted yet against any address or number (the sign-in modules)."""
    with app.app_context():
        limiter.reset()


@pytest.fixture
def demo(session, clock):
    """The demo sign-in world: a store, a courier and an operator with known secrets."""
    made = prepare_demo_sign_in(session=session, secret_key="test", now=clock.now())
    session.commit()
    return made


@pytest.fixture
def committed_db(template) -> Database:
    """A Database on its own copy of the template, where commits are real (for races)."""
    caches.clear_all()  # rows an earlier test cached (a city by id) belong to another copy
    url = template.copy()
    engine = make_engine(url)
    yield Database(engine)
    engine.dispose()
    template.drop(url)


@pytest.fixture
def live_server(template, tmp_path):
    """A real gunicorn with 2 worker processes on a fresh copy of the seeded database."""
    servers = []

    def start(**options):
        server = start_server(template.copy(), tmp_path, **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop(quick=True)
        template.drop(server.database_url)


@pytest.fixture(scope="session")
def browser():
    """The process's one headless chromium (Debian's, through playwright; one per xdist worker);
    skips when missing."""
    playwright, chromium = launch_browser()
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def page(browser):
    """A fresh browser context (own storage) and page, phone-sized, Chinese locale."""
    context = browser.new_context(viewport={"width": 412, "height": 915}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
