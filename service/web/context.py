"""Per-request access to the session, the clock and the caller, for routes only."""

from flask import current_app, g, request
from sqlmodel import Session

from service.clock import Clock
from service.db import Database

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def database() -> Database:
    return current_app.extensions["hourdelivery.db"]


def clock() -> Clock:
    return current_app.extensions["hourdelivery.clock"]


def read_only(view):
    """Mark a POST view that changes nothing (a quote), so SQLite need not take the write lock."""
    view.read_only = True
    return view


def _writes() -> bool:
    view = current_app.view_functions.get(request.endpoint)
    return request.method not in READ_ONLY_METHODS and not getattr(view, "read_only", False)


def db_session() -> Session:
    """The request's session, opened on first use; committed once, in finish_unit_of_work."""
    session = g.get("db_session")
    if session is None:
        session = g.db_session = database().session(write=_writes())
    return session


def finish_unit_of_work(*, commit: bool) -> None:
    """Commit (or roll back) and close the request's session, if it opened one."""
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()
