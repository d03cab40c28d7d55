"""The feed cursor: opaque to the tablet, signed, and bound to one store."""

from functools import lru_cache

from itsdangerous import BadSignature, URLSafeSerializer

from service.errors import Unprocessable


@lru_cache(maxsize=4)  # one per SECRET_KEY: building it derives keys, a tenth of a poll
def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="store-feed")


def make_cursor(secret_key: str, store_id: int, last_id: int) -> str:
    """The cursor after event `last_id` of the store's feed."""
    return _serializer(secret_key).dumps([store_id, last_id])


def read_cursor(secret_key: str, store_id: int, cursor: str) -> int:
    """The last event id a cursor stands for; 422 if it is malformed or another store's."""
    owner, last_id = _verified(secret_key, cursor)
    if owner != store_id or not isinstance(last_id, int) or last_id < 0:
        raise Unprocessable(
            "this cursor belongs to another store's feed", code="invalid_cursor", field="after"
        )
    return last_id


# A tablet with nothing new re-polls with the same cursor all day: its signature, once
# checked, stays checked (the text and the key decide it). Only good cursors are kept.
@lru_cache(maxsize=20_000)
def _verified(secret_key: str, cursor: str) -> tuple:
    try:
        owner, last_id = _serializer(secret_key).loads(cursor)
    except (BadSignature, ValueError, TypeError):
        raise Unprocessable(
            "not a cursor this feed gave out", code="invalid_cursor", field="after"
        ) from None
    return owner, last_id
