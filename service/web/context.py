"""Per-request access to the session, the clock and the caller, for routes only."""

from flask import current_app, g, request
from sqlalchemy import Connection
from sqlmodel import Session

from service.clock import Clock
from service.db import Database

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def hot(view):
    """Mark a hot view of prebuilt statements (service.db.hot) that needs no ORM: its token
    check and its statements run on the request's Core connection (db_connection). On
    PostgreSQL each statement commits by itself (autocommit: no BEGIN/COMMIT round trips; a 2xx
    still means committed and visible, but acknowledged before the WAL flush, so only for
    writes a database crash may lose, see engine.autocommit_twin); SQLite reads run without
    BEGIN, SQLite writes behind the writer queue in one BEGIN IMMEDIATE transaction. Not for
    views writing more than one statement on PostgreSQL."""
    view.autocommit = view.hot = True
    return view


def database() -> Database:
    return current_app.extensions["hourdelivery.db"]


def clock() -> Clock:
    return current_app.extensions["hourdelivery.clock"]


def read_only(view):
    """Mark a POST view that changes nothing (a quote), so SQLite need not take the write lock."""
    view.read_only = True
    return view


def _modes() -> dict:
    view = current_app.view_functions.get(request.endpoint)
    write = request.method not in READ_ONLY_METHODS and not getattr(view, "read_only", False)
    return {"write": write, "autocommit": getattr(view, "autocommit", False)}


def db_session() -> Session:
    """The request's session, opened on first use; committed once, in finish_unit_of_work."""
    session = g.get("db_session")
    if session is None:
        session = g.db_session = database().session(**_modes())
    return session


def db_connection() -> Connection:
    """The request's Core connection, for a hot view's prebuilt statements (service.db.hot):
    opened on first use with the session's rules, committed once in finish_unit_of_work."""
    unit = g.get("db_core")
    if unit is None:
        unit = g.db_core = database().core(**_modes())
    return unit.connection


def statements() -> Session | Connection:
    """Where the request's statements run: a `hot` view's Core connection, else its session."""
    unit = g.get("db_core")
    if unit is not None:
        return unit.connection
    view = current_app.view_functions.get(request.endpoint)
    return db_connection() if getattr(view, "hot", False) else db_session()


def finish_unit_of_work(*, commit: bool) -> None:
    """Commit (or roll back) and close what the request opened: its Core connection, then its
    session (a hot view may use both: the one statement, then ORM reads for what it found)."""
    for name in ("db_core", "db_session"):
        unit = g.pop(name, None)
        if unit is None:
            continue
        try:
            if commit:
                unit.commit()
            else:
                unit.rollback()
        finally:
            unit.close()
