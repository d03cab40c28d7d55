"""The sandbox provider's own books: a SQLite file of its trades, refunds and queued notifications.

The sandbox plays an outside system, so it keeps its state apart from the service's database
(every worker process of one server shares the file). Each process keeps its few connections
open between transactions: opening one costs more than the order's whole write to the books.
"""

import os
import sqlite3
from contextlib import closing, contextmanager
from datetime import UTC, datetime

SCHEMA = """
CREATE TABLE IF NOT EXISTS trades (out_trade_no TEXT PRIMARY KEY, merchant TEXT NOT NULL,
  amount_fen INTEGER NOT NULL, method TEXT NOT NULL, status TEXT NOT NULL,
  trade_no TEXT NOT NULL, expire_at TEXT NOT NULL, created_at TEXT NOT NULL, paid_at TEXT,
  statement_fen INTEGER, off_statement INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS refunds (out_refund_no TEXT PRIMARY KEY, out_trade_no TEXT NOT NULL,
  amount_fen INTEGER NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL, done_at TEXT);
CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, merchant TEXT NOT NULL,
  body BLOB NOT NULL, due_at TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS controls (merchant TEXT NOT NULL, name TEXT NOT NULL,
  value TEXT NOT NULL, PRIMARY KEY (merchant, name));
CREATE INDEX IF NOT EXISTS ix_outbox_due ON outbox (sent, due_at);
"""


def iso(at: datetime) -> str:
    """A UTC timestamp as stored."""
    return at.astimezone(UTC).isoformat()


def when(text: str | None) -> datetime | None:
    """A stored timestamp back as an aware datetime."""
    return datetime.fromisoformat(text) if text else None


class Books:
    """Short transactions on the sandbox's SQLite file."""

    IDLE = 8  # connections kept open per process

    def __init__(self, path: str):
        self.path = path
        self._pid = os.getpid()
        self._idle: list[sqlite3.Connection] = []
        self._inherited: list[sqlite3.Connection] = []  # a parent's, never used nor closed here
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    @contextmanager
    def tx(self):
        """One immediate transaction (writers queue on SQLite's lock, readers see a snapshot)."""
        db = self._take()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except BaseException:
            db.close()  # in whatever state the failure left it: not reused
            raise
        if len(self._idle) < self.IDLE:
            self._idle.append(db)
        else:
            db.close()

    def _take(self) -> sqlite3.Connection:
        if self._pid != os.getpid():  # a forked worker: SQLite connections do not cross a fork
            self._pid, self._inherited, self._idle = os.getpid(), self._idle, []
        if self._idle:
            return self._idle.pop()
        db = sqlite3.connect(
            self.path, timeout=30, isolation_level=None, check_same_thread=False
        )  # handed from thread to thread, one at a time
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints; a sandbox
        return db

    def trade(self, out_trade_no: str) -> sqlite3.Row | None:
        """One trade, or None."""
        with self.tx() as db:
            return db.execute(
                "SELECT * FROM trades WHERE out_trade_no = ?", (out_trade_no,)
            ).fetchone()

    def control(self, merchant: str, name: str, default: str) -> str:
        """A behaviour switch of the sandbox (how refunds end, and the like)."""
        with self.tx() as db:
            row = db.execute(
                "SELECT value FROM controls WHERE merchant = ? AND name = ?", (merchant, name)
            ).fetchone()
        return row["value"] if row else default

    def set_control(self, merchant: str, name: str, value: str) -> None:
        """Set a behaviour switch."""
        with self.tx() as db:
            db.execute(
                "INSERT INTO controls VALUES (?, ?, ?) ON CONFLICT (merchant, name) "
                "DO UPDATE SET value = excluded.value",
                (merchant, name, value),
            )

    def queue(self, merchant: str, body: bytes, due_at: datetime) -> None:
        """Keep a notification to send at `due_at`."""
        with self.tx() as db:
            db.execute(
                "INSERT INTO outbox (merchant, body, due_at) VALUES (?, ?, ?)",
                (merchant, body, iso(due_at)),
            )

    def take_due(self, merchant: str, now: datetime) -> list[bytes]:
        """The queued notifications due by `now`, marked sent."""
        with self.tx() as db:
            rows = db.execute(
                "SELECT id, body FROM outbox WHERE sent = 0 AND merchant = ? AND "
                "due_at <= ? ORDER BY id",
                (merchant, iso(now)),
            ).fetchall()
            db.executemany("UPDATE outbox SET sent = 1 WHERE id = ?", [(r["id"],) for r in rows])
        return [bytes(row["body"]) for row in rows]
