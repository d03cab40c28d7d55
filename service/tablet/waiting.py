"""Parked store-feed polls: how many a worker holds, and how they learn of new events.

A poll that found nothing registers (store, cursor) here and sleeps on its own Event, holding
no database connection. One watcher per process, alive while someone waits, wakes it:
  * PostgreSQL: LISTEN on each waiting store's channel (`feed_<store id>`); the transaction
    that writes a store's order event also NOTIFYs that channel (states.record), and
    PostgreSQL delivers it at commit. Nothing is polled.
  * SQLite (one host): every TICK_S, per city with waiters, the stores of that city with an
    event past the last one read (a range read of order_events' primary key, by city).
After the watcher starts listening for a store (or on its first tick), it reads that store's
newest event id once, for events committed between the poll's own read and then. Missing a
wake-up costs latency, never an event: the feed read after the wait is what the tablet gets.

A worker holds at most HD_FEED_WAITERS polls; past that the poll is refused at once with 503
and Retry-After (service.tablet.api), and the tablet waits that long: nothing spins.
"""

import collections
import contextlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, select
from sqlmodel import col

from service.db import Database
from service.orders.models import OrderEvent
from service.stores.models import Store

log = logging.getLogger(__name__)
TICK_S = 0.1  # SQLite: seconds between two reads of the waiting cities' new events
LISTEN_S = 0.25  # PostgreSQL: the longest a new store waits for its LISTEN
# Each store's newest event: one probe of the (store_id, id) index per store, as HEAD does,
# batched (a GROUP BY over the stores' events would read their whole history).
HEADS = select(
    Store.id,
    select(func.max(OrderEvent.id))
    .where(col(OrderEvent.store_id) == col(Store.id))
    .scalar_subquery(),
).where(col(Store.id).in_(bindparam("stores", expanding=True)))
HEADS_CHUNK = 500
CITY_SINCE = (
    select(OrderEvent.store_id, func.max(OrderEvent.id))
    .where(col(OrderEvent.city_id) == bindparam("city"), col(OrderEvent.id) > bindparam("since"))
    .group_by(col(OrderEvent.store_id))
)


def channel(store_id: int) -> str:
    """The store's notification channel."""
    return f"feed_{store_id}"


def slots() -> int:
    """Polls one worker process holds at once (HD_FEED_WAITERS, default 1,500)."""
    return int(os.environ.get("HD_FEED_WAITERS", "1500"))


def working_threads() -> int:
    """Requests one worker process serves at once (HD_THREADS, 4): the gate's size."""
    return int(os.environ.get("HD_THREADS", "4"))


class Gate:
    """At most `size` requests of this process work at once (on PostgreSQL's gevent worker, the
    rest queue here rather than for the connection pool); a parked poll gives its place back
    while it waits, so waiting polls never starve other requests."""

    def __init__(self, wsgi_app, size: int):
        self.wsgi_app, self.semaphore = wsgi_app, threading.BoundedSemaphore(size)

    def __call__(self, environ, start_response):
        with self.semaphore:
            return self.wsgi_app(environ, start_response)

    @contextlib.contextmanager
    def released(self):
        """Leave the gate for the duration of the block, then queue for it again."""
        self.semaphore.release()
        try:
            yield
        finally:
            self.semaphore.acquire()


class Full(Exception):
    """Every slot of this worker holds a parked poll."""


@dataclass(eq=False)
class Waiter:
    store_id: int
    city_id: int
    after: int
    event: threading.Event = field(default_factory=threading.Event)


class Waiters:
    """The process's parked polls, by store, and the watcher that wakes them."""

    def __init__(self, database: Database, capacity: int):
        self.database, self.capacity = database, capacity
        self.lock = threading.Lock()
        self.by_store: dict[int, list[Waiter]] = collections.defaultdict(list)
        self.parked = 0
        self.fresh: set[int] = set()  # stores whose head the watcher has not read yet
        self.watcher: threading.Thread | None = None

    def wait(self, store_id: int, city_id: int, after: int, timeout_s: float) -> bool:
        """Sleep until the store has an event past `after` (True) or the timeout (False);
        raise Full at once when every slot is taken."""
        waiter = Waiter(store_id, city_id, after)
        with self.lock:
            if self.parked >= self.capacity:
                raise Full()
            self.by_store[store_id].append(waiter)
            self.parked += 1
            self.fresh.add(store_id)
            self._ensure_watcher()
        try:
            return waiter.event.wait(timeout_s)
        finally:
            with self.lock:
                self.by_store[store_id].remove(waiter)
                if not self.by_store[store_id]:
                    del self.by_store[store_id]
                self.parked -= 1

    def wake(self, heads: dict[int, int]) -> None:
        """Wake the polls of each store whose newest event id is past their cursor."""
        with self.lock:
            for store_id, head in heads.items():
                for waiter in self.by_store.get(store_id, ()):
                    if head is None or head > waiter.after:
                        waiter.event.set()

    def take_fresh(self) -> tuple[set[int], set[int]]:
        """(stores waited on now, stores new since the last call); None left when nobody
        waits, and the watcher should stop."""
        with self.lock:
            fresh, self.fresh = self.fresh, set()
            stores = set(self.by_store)
            if not stores:
                self.watcher = None
            return stores, fresh

    def cities(self) -> dict[int, int]:
        """City id -> the oldest cursor of its waiting polls."""
        oldest: dict[int, int] = {}
        with self.lock:
            for waiter in (w for ws in self.by_store.values() for w in ws):
                oldest[waiter.city_id] = min(oldest.get(waiter.city_id, waiter.after), waiter.after)
        return oldest

    def heads(self, store_ids: set[int]) -> dict[int, int]:
        """Each store's newest event id, read now (a few statements for any number of them)."""
        ordered, found = sorted(store_ids), {}
        with self.database.unit_of_work(write=False) as session:
            for start in range(0, len(ordered), HEADS_CHUNK):
                chunk = ordered[start : start + HEADS_CHUNK]
                found.update(session.execute(HEADS, {"stores": chunk}).all())
        return {store_id: found.get(store_id) or 0 for store_id in ordered}

    def _ensure_watcher(self) -> None:
        if self.watcher is None or not self.watcher.is_alive():
            watch = _listen if self.database.dialect == "postgresql" else _poll
            self.watcher = threading.Thread(
                target=watch, args=(self,), daemon=True, name="feed-watcher"
            )
            self.watcher.start()


def _listen(waiters: Waiters) -> None:
    """PostgreSQL: LISTEN to the waiting stores' channels on a connection of its own."""
    import psycopg

    url = waiters.database.engine.url.set(drivername="postgresql")
    try:
        with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
            listening: set[int] = set()
            while True:
                stores, fresh = waiters.take_fresh()
                if not stores:
                    return
                for store_id in stores - listening:
                    conn.execute(f"LISTEN {channel(store_id)}")
                for store_id in listening - stores:
                    conn.execute(f"UNLISTEN {channel(store_id)}")
                listening = stores
                if fresh:  # listening now: what committed before is in the heads
                    waiters.wake(waiters.heads(fresh))
                notes = conn.notifies(timeout=LISTEN_S)
                waiters.wake(dict.fromkeys(int(n.channel.removeprefix("feed_")) for n in notes))
    except Exception:  # the next poll starts a new watcher; parked ones time out and re-poll
        log.exception("feed listener failed")
        with waiters.lock:
            waiters.watcher = None


def _poll(waiters: Waiters) -> None:
    """SQLite: every TICK_S, the new events of each city with waiting polls."""
    since: dict[int, int] = {}  # city id -> the newest event id read of it
    while True:
        stores, fresh = waiters.take_fresh()
        if not stores:
            return
        try:
            _tick(waiters, since, fresh)
        except Exception:  # a failed tick only delays wake-ups; the next one retries
            log.exception("feed watcher tick failed")
        time.sleep(TICK_S)


def _tick(waiters: Waiters, since: dict[int, int], fresh: set[int]) -> None:
    # SQLite's writers take turns, so its ids commit in order: nothing lands behind `since`.
    heads = waiters.heads(fresh) if fresh else {}
    oldest = waiters.cities()
    for city_id in set(since) - set(oldest):
        del since[city_id]
    with waiters.database.unit_of_work(write=False) as session:
        for city_id, after in oldest.items():
            start = since.get(city_id, after)
            rows = session.execute(CITY_SINCE, {"city": city_id, "since": start}).all()
            heads.update(dict(rows))
            since[city_id] = max([start, *(head for _, head in rows)])
    waiters.wake(heads)
