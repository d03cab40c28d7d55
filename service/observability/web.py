"""Per-request hooks: a request id (from X-Request-ID or new), metrics, one JSON log line."""

import os
import re
import time

import structlog
from flask import Flask, g, request

from service.observability import logs, metrics

HEADER = "X-Request-ID"
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
access = structlog.get_logger("access")


def install(app: Flask) -> None:
    """Register the hooks; every route, /v1/_ping included, goes through them."""
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> None:
    offered = request.headers.get(HEADER, "")
    g.request_id = offered if _ACCEPTABLE_ID.fullmatch(offered) else os.urandom(16).hex()
    g.started = time.perf_counter()
    logs.bind(request_id=g.request_id)


def _finish(response):
    seconds = time.perf_counter() - g.get("started", time.perf_counter())
    route = request.url_rule.rule if request.url_rule else "unmatched"
    caller = g.get("caller")
    body = response.get_json(silent=True) if request.endpoint in metrics.OUTCOMES else None
    metrics.record_request(
        request.endpoint, route, request.method, response.status_code, seconds, body
    )
    access.info(
        "request",
        method=request.method,
        route=route,
        status=response.status_code,
        duration_ms=round(seconds * 1000, 2),
        client=request.remote_addr,
        role=caller.role if caller else None,
    )
    response.headers[HEADER] = g.get("request_id", "")
    logs.unbind()
    return response
