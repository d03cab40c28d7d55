"""Long-polls parked without a database connection, and how they learn of new events.

A waiting poll registers (store, cursor) here and sleeps on its own threading.Event. One
watcher thread per process, alive only while someone waits, asks the database every TICK_S:
  * for each store that started waiting since the last tick, the store's newest event id
    (one probe of the (store_id, id) index): covers events committed between the poll's own
    read and its registration;
  * for the whole table, `store_id, max(id)` of events above a watermark that trails the top
    id by LAG_S, so an event whose transaction drew its id early and committed late (PostgreSQL)
    is still seen.
It wakes exactly the waiters whose store has an event past their cursor; the woken request then
reads the feed itself. The watcher holds a pooled connection only for those statements, so no
waiting poll holds a connection or a transaction. Missing a wake-up costs latency, never an
event: the feed read after the wait is what the tablet gets.
"""

import collections
import contextlib
import logging
import os
import threading
import time
import weakref
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, select
from sqlmodel import col

from service.db import Database
from service.orders.models import OrderEvent
from service.tablet.feed import HEAD, TOP, note_top

log = logging.getLogger(__name__)
TICK_S = 0.1
LAG_S = 2.0
SINCE = (
    select(OrderEvent.store_id, func.max(OrderEvent.id))
    .where(col(OrderEvent.id) > bindparam("since"))
    .group_by(col(OrderEvent.store_id))
)


def slots() -> int:
    """Polls one worker process lets wait at once (HD_FEED_WAITERS); more answer at once."""
    return int(os.environ.get("HD_FEED_WAITERS", "64"))


def working_threads() -> int:
    """Requests one worker process serves at once (HD_THREADS, 4): the gate's size."""
    return int(os.environ.get("HD_THREADS", "4"))


_registry: weakref.WeakSet = weakref.WeakSet()  # the process's Waiters (read by the worker)


def parked_now() -> int:
    """Polls parked in this process right now."""
    return sum(w.parked for w in _registry)


@dataclass(eq=False)
class Waiter:
    store_id: int
    after: int
    event: threading.Event = field(default_factory=threading.Event)
    fresh: bool = True


class Waiters:
    """The process's parked polls, by store, and the watcher thread that wakes them."""

    def __init__(self, database: Database, capacity: int):
        self.database, self.capacity = database, capacity
        self.lock = threading.Lock()
        self.by_store: dict[int, list[Waiter]] = collections.defaultdict(list)
        self.parked = 0
        self.tops: collections.deque = collections.deque()  # (monotonic time, top id)
        self.watcher: threading.Thread | None = None
        _registry.add(self)

    def wait(self, store_id: int, after: int, timeout_s: float) -> tuple[bool, int]:
        """Sleep until the store has an event past `after` (True) or the timeout; also how
        many polls this process had waiting. No slot free: (False, parked) at once."""
        waiter = Waiter(store_id, after)
        with self.lock:
            if self.parked >= self.capacity:
                return False, self.parked
            self.by_store[store_id].append(waiter)
            self.parked += 1
            parked = self.parked
            self._ensure_watcher()
        try:
            return waiter.event.wait(timeout_s), parked
        finally:
            with self.lock:
                self.by_store[store_id].remove(waiter)
                if not self.by_store[store_id]:
                    del self.by_store[store_id]
                self.parked -= 1

    def _ensure_watcher(self) -> None:
        if self.watcher is None or not self.watcher.is_alive():
            self.watcher = threading.Thread(target=self._watch, name="feed-watcher", daemon=True)
            self.watcher.start()

    def _watch(self) -> None:
        since = None
        while True:
            with self.lock:
                if not self.by_store:
                    self.watcher = None
                    return
                fresh = [w for ws in self.by_store.values() for w in ws if w.fresh]
            try:
                since = self._tick(since, fresh)
            except Exception:  # a failed tick only delays wake-ups; the next one retries
                log.exception("feed watcher tick failed")
            time.sleep(TICK_S)

    def _tick(self, since: int | None, fresh: list[Waiter]) -> int:
        with self.database.unit_of_work(write=False) as session:
            conn = session.connection()
            stores = {w.store_id for w in fresh}
            heads = {s: conn.execute(HEAD, {"store": s}).scalar() or 0 for s in stores}
            top = conn.execute(TOP).scalar() or 0
            if since is not None:
                heads.update(dict(conn.execute(SINCE, {"since": since}).all()))
        note_top(top)
        self._wake(heads, fresh)
        now = time.monotonic()
        self.tops.append((now, top))
        while len(self.tops) > 1 and self.tops[1][0] <= now - LAG_S:
            self.tops.popleft()
        return self.tops[0][1]  # the top of about LAG_S ago: re-scanned every tick

    def _wake(self, heads: dict[int, int], fresh: list[Waiter]) -> None:
        with self.lock:
            for store_id, head in heads.items():
                for waiter in self.by_store.get(store_id, ()):
                    if head > waiter.after:
                        waiter.event.set()
            for waiter in fresh:
                waiter.fresh = False


class Gate:
    """At most `size` requests of this process work at once (the old 4 threads); a parked
    poll gives its place back while it waits, so waiting polls never starve other requests."""

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
