"""Exactly one scheduler runs jobs: the one holding the leader lock.

PostgreSQL: a session-level advisory lock on a dedicated connection; the server frees it the
moment the leader's connection drops (a killed process included). SQLite: an exclusive
flock on a file next to the database, which the kernel frees when the process dies.
A standby polls for the lock every `poll_s` seconds. When the database primary is lost
(docs/ha.md) the leader's connection dies with it, so the lock is gone: the leader sees that
at its next check and stands by; whichever scheduler asks first takes the lock on the new primary.
"""

import fcntl
import logging
import os
import time
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)
ADVISORY_KEY = 0x48445343  # "HDSC": the scheduler's lock, distinct from any row lock


class Leadership:
    """Wait for, hold and check the leader lock of one database."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._connection: Connection | None = None
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; True when this process now leads."""
        if self.engine.dialect.name == "postgresql":
            return self._try_advisory()
        return self._try_flock()

    def wait(self, poll_s: float, stop=lambda: False) -> bool:
        """Block until leading (True) or until `stop()` says give up (False)."""
        while not stop():
            if self.try_acquire():
                return True
            time.sleep(poll_s)
        return False

    def still_held(self) -> bool:
        """False if the lock may have been lost (the lock's connection died)."""
        if self._connection is None:
            return self._fd is not None
        try:
            self._connection.execute(text("SELECT 1"))
            return True
        except Exception:  # a dead connection means the server already freed the lock
            return False

    def release(self) -> None:
        """Give the lock up (also done by the OS or server if the process dies)."""
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _try_advisory(self) -> bool:
        try:
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except DBAPIError as error:  # no primary this moment (a failover): ask again later
            log.warning("scheduler: no database to take the leader lock on: %s", error.orig)
            return False
        try:
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}
            )
        except DBAPIError as error:
            connection.close()
            log.warning("scheduler: asking for the leader lock failed: %s", error.orig)
            return False
        if got.scalar():
            self._connection = connection
            return True
        connection.close()
        return False

    def _try_flock(self) -> bool:
        fd = os.open(lock_path(self.engine), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True


def lock_path(engine: Engine) -> Path:
    """`<database>-scheduler.lock`, next to the SQLite file."""
    database = engine.url.database
    if not database or database == ":memory:":
        raise RuntimeError("the scheduler needs a file database or PostgreSQL")
    return Path(f"{database}-scheduler.lock")
