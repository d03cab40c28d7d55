"""Idempotency keys for POST /orders (DESIGN.md section 5), and optionally for claims and
cancels (answer_once): a 503 during a database failover may hide a commit, so a client retries
with the same key and gets the first answer instead of a second effect or a confusing refusal.

The key row is the first write of the order's transaction. A concurrent duplicate blocks on
the unique index until the first commits, then finds its row and replays the response. A
refused request rolls back, key included, so it may be retried with the same key.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from service.errors import InvalidInput
from service.orders.models import IdempotencyKey

KEEP = timedelta(hours=24)


class Replay(Exception):
    """The request was already answered: here is that answer."""

    def __init__(self, status: int, body: dict):
        super().__init__(status)
        self.status, self.body = status, body


def request_hash(body: dict) -> str:
    """SHA-256 of the canonical JSON (sorted keys) of a request body."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim_key(session: Session, *, consumer_id: int, key: str, digest: str, now: datetime) -> int:
    """Insert the key row (waiting on a concurrent twin); raise Replay if already answered."""
    conn = session.connection()
    # ON CONFLICT DO NOTHING waits for an in-flight twin like a plain insert, but a conflict
    # returns no row instead of aborting the transaction: no savepoint round trips needed.
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = (
        dialect_insert(IdempotencyKey)
        .on_conflict_do_nothing(index_elements=["consumer_id", "key"])
        .returning(col(IdempotencyKey.id))
    )
    row = {"consumer_id": consumer_id, "key": key, "request_hash": digest, "created_at": now}
    key_id = conn.execute(statement, row).scalar()
    if key_id is not None:
        return key_id
    first = conn.execute(
        select(IdempotencyKey).where(
            col(IdempotencyKey.consumer_id) == consumer_id, col(IdempotencyKey.key) == key
        )
    ).one()
    if first.request_hash != digest:
        raise InvalidInput(
            "this Idempotency-Key was used for a different request",
            code="idempotency_key_reused",
            field="Idempotency-Key",
        )
    raise Replay(first.response_status, first.response_body)


Answer = Callable[[], tuple[int, dict]]


def answer_once(
    session: Session,
    *,
    consumer_id: int,
    key: str | None,
    request: dict,
    now: datetime,
    answer: Answer,
) -> tuple[int, dict]:
    """`answer()` in this transaction, or with a key already answered, that first answer.

    `request` names the endpoint and its input (its hash tells a reused key from a retry);
    without a key the request simply runs.
    """
    if key is None:
        return answer()
    try:
        key_id = claim_key(
            session, consumer_id=consumer_id, key=key, digest=request_hash(request), now=now
        )
    except Replay as replay:
        return replay.status, replay.body
    status, body = answer()
    remember(session, key_id, status=status, body=body, order_id=None)
    return status, body


def remember(
    session: Session, key_id: int, *, status: int, body: dict, order_id: int | None
) -> None:
    """Store the response the key will replay."""
    session.connection().execute(
        update(IdempotencyKey)
        .where(col(IdempotencyKey.id) == key_id)
        .values(response_status=status, response_body=body, order_id=order_id)
    )


def purge_keys(*, session: Session, now: datetime) -> int:
    """Forget keys older than 24 h; returns how many."""
    cutoff = now - KEEP
    result = session.execute(delete(IdempotencyKey).where(col(IdempotencyKey.created_at) < cutoff))
    return result.rowcount
