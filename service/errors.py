"""Domain errors. Service functions raise these; service.web.errors maps them to HTTP."""

from collections.abc import Callable
from typing import Any


class DomainError(Exception):
    """A refusal the caller can act on: a stable `code`, a sentence, and the field at fault."""

    code = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        details: dict[str, Any] | None = None,
        after_rollback: Callable[..., None] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.field = field
        self.details = details or {}
        # What the refusal itself must leave behind (a counter), called as
        # after_rollback(session=...) in a transaction of its own once the caller's work
        # has rolled back: by web/errors.py for requests.
        self.after_rollback = after_rollback


class InvalidInput(DomainError):
    """The request is well-formed but its values break a rule."""

    code = "invalid"


class MalformedRequest(DomainError):
    """The request could not be read at all (bad JSON, missing header)."""

    code = "bad_request"


class UnsupportedMediaType(MalformedRequest):
    """The body is not JSON."""

    code = "unsupported_media_type"


class Unauthenticated(DomainError):
    """No valid credentials."""

    code = "unauthenticated"


class PermissionDenied(DomainError):
    """Valid credentials, but this role may not do this."""

    code = "forbidden"


class NotFound(DomainError):
    """No such thing, or not one the caller may see (we do not reveal which)."""

    code = "not_found"


class Gone(DomainError):
    """It existed, and is no longer served (a tracking link some hours after its order ended)."""

    code = "gone"


class Conflict(DomainError):
    """The request clashes with the current state (sold out, illegal transition, price changed)."""

    code = "conflict"


class TooManyRequests(DomainError):
    """A rate limit was reached; `retry_after_s` says when to try again (429, Retry-After)."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int, field: str | None = None):
        super().__init__(message, field=field, details={"retry_after_s": retry_after_s})
        self.retry_after_s = retry_after_s


class Unavailable(DomainError):
    """An outside system the request needs (an SMS provider) failed; nothing changed (503)."""

    code = "unavailable"


class Unprocessable(DomainError):
    """The request is valid but cannot be served (e.g. outside every service area)."""

    code = "unprocessable"
