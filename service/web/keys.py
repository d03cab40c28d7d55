"""The Idempotency-Key header (service.orders.idempotency)."""

from collections.abc import Callable
from datetime import datetime

from flask import request
from pydantic import BaseModel
from sqlmodel import Session

from service.errors import MalformedRequest
from service.orders.idempotency import answer_once

DESCRIPTION = "1-128 characters naming this attempt; a retry sends the same key"


def idempotency_key(*, required: bool) -> str | None:
    """The request's Idempotency-Key, None when absent and optional; 400 when malformed."""
    key = request.headers.get("Idempotency-Key")
    if key is None and not required:
        return None
    key = (key or "").strip()
    if not key or len(key) > 128:
        raise MalformedRequest(
            "send an Idempotency-Key header (1-128 characters)",
            code="missing_idempotency_key",
            field="Idempotency-Key",
        )
    return key


def answered_once(
    session: Session,
    *,
    consumer_id: int,
    body: BaseModel,
    now: datetime,
    answer: Callable[[], tuple[int, BaseModel | dict]],
) -> tuple[BaseModel | dict, int]:
    """A route's `answer()` under an optional Idempotency-Key, as Flask's (body, status).

    Without a key the answer goes out as `answer()` gave it: a model is serialised once, not
    dumped and then validated again against the route's response model."""
    key = idempotency_key(required=False)
    if key is None:
        status, answered = answer()
        return answered, status

    def stored() -> tuple[int, dict]:
        status, answered = answer()
        if isinstance(answered, BaseModel):
            answered = answered.model_dump(mode="json")
        return status, answered

    status, answered = answer_once(
        session,
        consumer_id=consumer_id,
        key=key,
        request={"path": request.path, "body": body.model_dump(mode="json")},
        now=now,
        answer=stored,
    )
    return answered, status
