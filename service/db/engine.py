"""Engine creation: SQLite tuned for concurrent writers, PostgreSQL through psycopg 3."""

import math
import sqlite3
import time

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url

from service.db.writers import WriterQueue

SQLITE_BUSY_TIMEOUT_MS = 10_000
# A pooled PostgreSQL connection idle longer than this is pinged before use (a server restart
# or an idle-connection killer leaves dead ones behind); one back in the pool sooner is not.
IDLE_PING_S = 1.0


def normalise_url(url: str) -> str:
    """Map bare `postgres://` / `postgresql://` URLs to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, echo: bool = False, writer_timeout_s: float | None = None) -> Engine:
    """Create the engine for `url`, with the per-engine settings the service relies on.

    `writer_timeout_s` bounds a SQLite writer's wait for its turn (default: the busy timeout).
    """
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo, writer_timeout_s or SQLITE_BUSY_TIMEOUT_MS / 1000)
    engine = create_engine(url, echo=echo, pool_size=10, max_overflow=20)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """pool_pre_ping, but only for connections idle over IDLE_PING_S.

    pre-ping costs a round trip on every checkout, a fifth of an empty feed poll's; a
    connection that came back to the pool a moment ago is as alive as a ping would show.
    A dead one is replaced by the pool (DisconnectionError makes it reconnect and retry).
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_S:
            return  # a new connection, or one in steady use
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception:
            alive = False
        if not alive:
            raise exc.DisconnectionError("a pooled connection went away while idle")


def _sqlite_engine(url: str, echo: bool, writer_timeout_s: float) -> Engine:
    writers = _writer_queue(url, writer_timeout_s)
    connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    if writers is not None:
        connect_args["factory"] = _writer_connection_class(writers)
    engine = create_engine(url, echo=echo, connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Leave transaction control to SQLAlchemy's begin event below, not to pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        _ensure_sqrt(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A deferred transaction that reads and then writes fails with SQLITE_BUSY under
        # concurrent writers (busy_timeout does not cover the upgrade), so writers take the
        # write lock up front. Read-only scopes ask for DEFERRED and never block writers.
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode != "IMMEDIATE" or writers is None:
            connection.exec_driver_sql(f"BEGIN {mode}")
            return
        holder = connection.connection.dbapi_connection
        writers.acquire(holder)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            writers.release(holder)
            raise

    if writers is not None:

        @event.listens_for(engine, "invalidate")
        def _on_invalidate(dbapi_connection, _record, _exc):
            writers.release(dbapi_connection)

    return engine


def _ensure_sqrt(dbapi_connection) -> None:
    # Store ranking computes distances in SQL; SQLite builds without math functions lack sqrt.
    try:
        dbapi_connection.execute("SELECT sqrt(4)")
    except sqlite3.OperationalError:
        dbapi_connection.create_function("sqrt", 1, math.sqrt, deterministic=True)


def _writer_queue(url: str, timeout_s: float) -> WriterQueue | None:
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return None  # a private in-memory database has no other writers to queue with
    return WriterQueue(path, timeout_s=timeout_s)


def _writer_connection_class(writers: WriterQueue) -> type[sqlite3.Connection]:
    """A sqlite3 connection (the `factory` sqlite3.connect documents) that lets the next
    writer in once its COMMIT or ROLLBACK has run: SQLAlchemy's commit and rollback events
    fire before them, too early."""

    class WriterConnection(sqlite3.Connection):
        def commit(self) -> None:
            try:
                super().commit()
            finally:
                writers.release(self)

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                writers.release(self)

        def close(self) -> None:
            try:
                super().close()
            finally:
                writers.release(self)

    return WriterConnection
