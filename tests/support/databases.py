"""Test databases: one migrated, seeded template per engine; cheap copies made from it."""

import os
import shutil
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from service.db import Database, make_engine, normalise_url
from service.db.migrate import upgrade
from service.seed.loader import load_fixtures

PG_HINT = "set TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test (make test does)"


@dataclass
class Template:
    """A migrated and seeded database that copies are made from."""

    engine: str
    url: str
    seeded_at: datetime
    workdir: Path

    def copy(self) -> str:
        """A fresh database with the template's contents; returns its URL."""
        name = f"hd_{uuid.uuid4().hex[:10]}"
        if self.engine == "sqlite":
            target = self.workdir / f"{name}.sqlite3"
            shutil.copyfile(make_url(self.url).database, target)
            return f"sqlite:///{target}"
        with pg_admin(self.url) as admin:
            template = make_url(self.url).database
            admin.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        """Remove a copy made by `copy`."""
        if self.engine == "sqlite":
            for suffix in ("", "-wal", "-shm", "-writer"):
                Path(make_url(url).database + suffix).unlink(missing_ok=True)
            return
        with pg_admin(self.url) as admin:
            admin.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))


def build_template(engine: str, workdir: Path, now: datetime) -> Template:
    """Create, migrate and seed the template database for `engine`."""
    if engine == "sqlite":
        url = f"sqlite:///{workdir / 'template.sqlite3'}"
    else:
        base = postgres_base_url()
        url = make_url(base).set(database=f"hd_tpl_{uuid.uuid4().hex[:8]}")
        url = url.render_as_string(hide_password=False)
        with pg_admin(base) as admin:
            admin.execute(text(f'CREATE DATABASE "{make_url(url).database}"'))
    template = Template(engine=engine, url=url, seeded_at=now, workdir=workdir)
    sa_engine = make_engine(url)
    try:
        upgrade(sa_engine)
        with Database(sa_engine).unit_of_work() as session:
            load_fixtures(session=session, now=now)
    except BaseException:
        sa_engine.dispose()
        drop_template(template)
        raise
    if engine == "sqlite":
        raw = sa_engine.raw_connection()  # outside any transaction, so the checkpoint can run
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    sa_engine.dispose()
    return template


def drop_template(template: Template) -> None:
    if template.engine == "postgresql":
        template.drop(template.url)


def postgres_base_url() -> str:
    """TEST_DATABASE_URL if PostgreSQL answers there; else skip (fail under CI=true)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        _unavailable(f"PostgreSQL cases skipped: TEST_DATABASE_URL is not set; {PG_HINT}")
    url = normalise_url(url)
    try:
        probe = create_engine(url, connect_args={"connect_timeout": 3})
        with probe.connect():
            pass
        probe.dispose()
    except Exception as error:  # any driver error means: no PostgreSQL here
        _unavailable(f"PostgreSQL cases skipped: {url} is unreachable ({type(error).__name__})")
    return url


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " -- CI requires PostgreSQL", pytrace=False)
    pytest.skip(reason)


class pg_admin:
    """An autocommit connection to the maintenance database (CREATE/DROP DATABASE)."""

    def __init__(self, url: str):
        self.engine = create_engine(
            make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT"
        )

    def __enter__(self):
        self.conn = self.engine.connect()
        return self.conn

    def __exit__(self, *exc):
        self.conn.close()
        self.engine.dispose()


def old_sqlite(path: Path, revision: str) -> sqlite3.Connection:
    """A SQLite file migrated only to `revision`, open raw (foreign keys off: a test adds just
    the rows its migration reads), holding city 1 and consumer 1 (0015 gives every order already
    placed a legacy payment naming them). Commit and close it before upgrading further."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, revision)
    engine.dispose()
    raw = sqlite3.connect(path)
    raw.execute(
        "INSERT INTO cities (id, code, name, name_en, timezone, center_lat, center_lon,"
        " service_radius_km, courier_speed_kmh, delivery_fee_fen, free_delivery_from_fen,"
        " acceptance_timeout_s) VALUES (1, 'x', 'x', 'x', 'Asia/Shanghai', 28, 112, 10,"
        " 15, 500, 5900, 180)"
    )
    raw.execute(
        "INSERT INTO consumers (id, name, phone, created_at) VALUES (1, 'c', '1', '2026-01-01')"
    )
    return raw
