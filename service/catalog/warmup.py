"""Each worker's shelves, kept current beside the requests for the cities searched lately.

A search never answers from stale stock: it checks every store it uses against
`stores.stock_version` and reads the stock of any store whose version moved
(`shelves.current`); a city's first search in a worker reads the city (lazily: a worker holds
only the cities its searches asked for, within HD_SHELVES_MB). What moves out of the request
path is the WAITING for re-reads: a thread of the worker re-reads the stores whose version
moved every REFRESH_S seconds in the cities searched in the last ACTIVE_S, so a search after a
sync or a sale mostly finds its stores already current. A worker nobody searches in (the
order path's stock writes move versions all the time) reads nothing. The same thread reads
those cities' opening hours afresh well inside their cache's life (nearby.HOURS_TTL_S), so no
search parses them either (7,000 JSON documents: ~50 ms).
"""

import logging
import threading
import time

from flask import Flask
from sqlalchemy import bindparam, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from service.catalog import nearby, shelves
from service.cities.models import City
from service.db import Database
from service.stores.models import Store

log = logging.getLogger(__name__)
REFRESH_S = 5.0  # seconds between a worker's passes over its cities' stock versions
HOURS_EVERY = max(1, int(nearby.HOURS_TTL_S / 2 / REFRESH_S))  # passes between hours reads
ACTIVE_S = 60.0  # a city searched within this long is kept current by the refresh thread
CITIES = select(City.id)
VERSIONS = select(Store.id, Store.stock_version).where(
    col(Store.city_id) == bindparam("city_id"), col(Store.active)
)


def bring_current(
    database: Database, *, hours: bool = True, searched_since: float | None = None
) -> None:
    """Bring every city's shelves up to its active stores' stock versions (and read its
    opening hours afresh); with `searched_since` (time.monotonic()), only the cities a search
    used since then."""
    with database.unit_of_work(write=False) as session:
        city_ids = session.connection().execute(CITIES).scalars().all()
    if searched_since is not None:
        city_ids = [c for c in city_ids if shelves.searched_since(c, searched_since)]
    for city_id in city_ids:  # one short transaction per city: no long snapshot held
        with database.unit_of_work(write=False) as session:
            rows = session.connection().execute(VERSIONS, {"city_id": city_id}).all()
            shelves.current(session, city_id, [tuple(r) for r in rows], searched=False)
            if hours:
                nearby.reload_hours(session, city_id)


def start(app: Flask, *, every_s: float = REFRESH_S) -> threading.Thread:
    """Keep this worker's searched cities' shelves current from a daemon thread."""
    database = app.extensions["hourdelivery.db"]
    thread = threading.Thread(
        target=_keep_current, args=(database, every_s), daemon=True, name="shelves-refresh"
    )
    thread.start()
    return thread


def _keep_current(database: Database, every_s: float) -> None:
    stop = threading.Event()  # never set: the thread ends with its worker process
    passes = 0
    while not stop.wait(every_s):
        passes += 1
        _pass(database, hours=passes % HOURS_EVERY == 0, searched_since=time.monotonic() - ACTIVE_S)


def _pass(database: Database, *, hours: bool, searched_since: float | None = None) -> None:
    try:
        bring_current(database, hours=hours, searched_since=searched_since)
    except SQLAlchemyError:  # the database away for a moment: searches read what they need
        log.warning("could not bring the search shelves current", exc_info=True)
