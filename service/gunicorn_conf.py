"""gunicorn settings for `make run` and the live test server (`-c python:service.gunicorn_conf`)."""

import os

bind = os.environ.get("HD_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads let one worker hold a store tablet's long-poll while serving other requests.
worker_class = "gthread"
# Few threads per worker: more would queue on the GIL while holding hot rows locked.
threads = int(os.environ.get("HD_THREADS", "4"))
# A gthread worker accepts connections until it holds worker_connections of them, so with
# keep-alive one worker could take every client while the other idles (measured: one worker
# at 96% CPU, the other at 0). A bound spreads clients over the workers; past
# workers x this, new clients wait in the listen backlog for a free slot.
worker_connections = int(os.environ.get("HD_WORKER_CONNECTIONS", "32"))
# Each worker opens its own connection pool after the fork, never sharing one.
preload_app = False
timeout = 60
graceful_timeout = 10
accesslog = os.environ.get("HD_ACCESS_LOG") or None
wsgi_app = "service:create_app()"
# gunicorn's control socket has one default path per user, which several servers on one machine
# (tests, benchmarks, make run) would fight over; nothing here uses it.
control_socket_disable = True


def on_starting(_server):
    """Metrics: one directory of per-process files for every worker (and the scheduler)."""
    from service.observability.multiproc import prepare_server_metrics_dir

    prepare_server_metrics_dir()


def child_exit(_server, worker):
    """A dead worker's live gauges must not linger in /metrics."""
    from service.observability.multiproc import mark_process_dead

    mark_process_dead(worker.pid)
