"""The Idempotency-Key header (service.orders.idempotency)."""

from flask import request

from service.errors import MalformedRequest

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
