"""The one module that maps domain errors (and Flask's own) to JSON HTTP responses."""

import logging

from flask import Flask, jsonify
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from service import errors
from service.web.context import database

log = logging.getLogger(__name__)

STATUS = {
    errors.UnsupportedMediaType: 415,
    errors.MalformedRequest: 400,
    errors.Unauthenticated: 401,
    errors.PermissionDenied: 403,
    errors.NotFound: 404,
    errors.Gone: 410,
    errors.Conflict: 409,
    errors.InvalidInput: 422,
    errors.Unprocessable: 422,
    errors.TooManyRequests: 429,
    errors.Unavailable: 503,
}

# PostgreSQL: deadlock_detected, serialization_failure, lock_not_available.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001", "55P03"})
# The primary went away or stepped down (docs/ha.md): admin_shutdown, crash_shutdown,
# cannot_connect_now (a node starting or being promoted), read_only_sql_transaction (a demoted
# primary or a standby); class 08 is any connection exception.
FAILOVER_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "25006"})

HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    503: "try_again",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def error_body(code: str, message: str, field: str | None = None, **details):
    """The JSON error shape every failure uses; the message as a sentence."""
    return {"error": {"code": code, "message": sentence(message), "field": field, **details}}


def sentence(message: str) -> str:
    """A message as a person reads it: a capital first letter and a full stop."""
    text = (message or "").strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?。！？" else text + "."


def status_of(error: errors.DomainError) -> int:
    """HTTP status for a domain error, by its nearest mapped base class."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def register_error_handlers(app: Flask) -> None:
    """Install JSON handlers for domain errors, validation errors, HTTP errors and bugs."""

    @app.errorhandler(errors.DomainError)
    def _domain(error: errors.DomainError):
        if error.after_rollback is not None:
            _after_rollback(error)
        body = error_body(error.code, error.message, error.field, **error.details)
        response = jsonify(body)
        if isinstance(error, errors.TooManyRequests):
            response.headers["Retry-After"] = str(error.retry_after_s)
        return response, status_of(error)

    @app.errorhandler(ValidationError)
    def _validation(error: ValidationError):
        return jsonify(validation_body(error)), 422

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        code = HTTP_CODES.get(error.code, "http_error")
        response = jsonify(error_body(code, error.description or error.name))
        if error.code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response, error.code

    @app.errorhandler(DBAPIError)
    def _database(error: DBAPIError):
        if is_transient(error):
            log.warning("transient database conflict: %s", error.orig)
            body = error_body("try_again", "the request collided with another; send it again")
            return jsonify(body), 503, {"Retry-After": "1"}
        if is_failover(error):
            log.warning("the database primary is unreachable: %s", error.orig)
            body = error_body("try_again", "the database is changing over; send it again")
            return jsonify(body), 503, {"Retry-After": "1"}
        log.exception("database error")
        return jsonify(error_body("internal", "internal error; it has been logged")), 500

    @app.errorhandler(Exception)
    def _bug(error: Exception):
        log.exception("unhandled error")
        return jsonify(error_body("internal", "internal error; it has been logged")), 500


def _after_rollback(error: errors.DomainError) -> None:
    """Record what a refusal leaves behind, in its own transaction: the request's has rolled
    back by now (HourDeliveryFlask.dispatch_request). Failing to count never fails the answer."""
    try:
        with database().unit_of_work() as session:
            error.after_rollback(session=session)
    except Exception:
        log.exception("could not record after the refusal %s", error.code)


def is_failover(error: DBAPIError) -> bool:
    """The connection to the primary broke, or it is no primary now: nothing of the request
    was committed unless the break came during COMMIT (hence Idempotency-Key on retries)."""
    if error.connection_invalidated:
        return True
    sqlstate = getattr(error.orig, "sqlstate", None) or ""
    if sqlstate in FAILOVER_SQLSTATES or sqlstate.startswith("08"):
        return True
    # psycopg raises OperationalError without a SQLSTATE when no host accepts a connection
    # (libpq's multi-host string found no read-write node).
    from_psycopg = type(error.orig).__module__.startswith("psycopg")
    return isinstance(error, OperationalError) and from_psycopg and not sqlstate


def is_transient(error: DBAPIError) -> bool:
    """A deadlock, serialization failure or a SQLite lock wait that ran out: safe to retry."""
    sqlstate = getattr(error.orig, "sqlstate", None)
    return sqlstate in TRANSIENT_SQLSTATES or "database is locked" in str(error.orig)


def validation_body(error: ValidationError) -> dict:
    """Turn a pydantic error into our shape, naming the first offending field."""
    first = error.errors(include_url=False)[0]
    location = [str(part) for part in first.get("loc", ())]
    field = ".".join(location) or None
    message = f"{first['msg']} ({field})" if field else first["msg"]
    return error_body("validation_error", message, field)
