"""gunicorn settings for `make run` and the live test server (`-c python:service.gunicorn_conf`)."""

import json
import os

import gunicorn.util

bind = os.environ.get("HD_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# gthread, whose parked store-feed long-polls do not count against worker_connections
# (service/web/worker.py; README "Store tablets" says why not gevent).
worker_class = "service.web.worker.FeedThreadWorker"
# Few working threads per worker: more would queue on the GIL while holding hot rows locked.
# A gate (service/tablet/waiting.Gate) keeps HD_THREADS requests working at once; the pool has
# HD_FEED_WAITERS more threads for tablets' long-polls, which sleep without the gate.
threads = int(os.environ.get("HD_THREADS", "4")) + int(os.environ.get("HD_FEED_WAITERS", "64"))
# A gthread worker accepts connections until it holds worker_connections of them, so with
# keep-alive one worker could take every client while the other idles (measured: one worker
# at 96% CPU, the other at 0). A bound spreads clients over the workers; past
# workers x this, new clients wait in the listen backlog for a free slot.
worker_connections = int(os.environ.get("HD_WORKER_CONNECTIONS", "32"))
# Seconds an idle keep-alive connection is kept (gunicorn's default 2). A tablet re-polls on
# its connection at once, but a client slower than this to send its next request has the
# connection closed under it (the store_feed bench's 1,000 tablet threads on a loaded box
# were; it runs with 30). Idle kept-alive connections count against worker_connections.
keepalive = int(os.environ.get("HD_KEEPALIVE_S", "2"))
# Each worker opens its own connection pool after the fork, never sharing one.
preload_app = False
timeout = 60
graceful_timeout = 10
accesslog = os.environ.get("HD_ACCESS_LOG") or None
wsgi_app = "service:create_app()"
# gunicorn's control socket has one default path per user, which several servers on one machine
# (tests, benchmarks, make run) would fight over; nothing here uses it.
control_socket_disable = True

# Requests gunicorn refuses itself, before the app sees them: a request line over 4094 bytes
# (414), over 100 header fields or a field over 8190 bytes (431), malformed HTTP (400), an
# unknown Transfer-Encoding (501). These are gunicorn's defaults, stated here so the README's
# table of limits has one source. Its error page is HTML; `_json_error` gives it the service's
# JSON error shape instead.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
GUNICORN_CODES = {400: "bad_request", 403: "forbidden", 414: "uri_too_long",
                  417: "expectation_failed", 431: "headers_too_large",
                  501: "not_implemented"}  # fmt: skip


def _json_error(sock, status_int, reason, mesg):
    body = json.dumps({"error": {"code": GUNICORN_CODES.get(status_int, "bad_request"),
                                 "message": f"{reason}: {mesg}"[:300], "field": None}},
                      ensure_ascii=True).encode()  # fmt: skip
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")  # fmt: skip
    gunicorn.util.write_nonblock(sock, head.encode("latin-1") + body)


gunicorn.util.write_error = _json_error  # workers call util.write_error by module attribute


def on_starting(_server):
    """Metrics: one directory of per-process files for every worker (and the scheduler)."""
    from service.observability.multiproc import prepare_server_metrics_dir

    prepare_server_metrics_dir()


def child_exit(_server, worker):
    """A dead worker's live gauges must not linger in /metrics."""
    from service.observability.multiproc import mark_process_dead

    mark_process_dead(worker.pid)


def post_worker_init(worker):
    """The worker's search shelves are kept current beside the requests
    (service/catalog/warmup.py)."""
    from service.catalog import warmup

    warmup.start(worker.wsgi)
