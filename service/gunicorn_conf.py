"""gunicorn settings for `make run` and the live test server (`-c python:service.gunicorn_conf`).

Store tablets long-poll their feed for up to 25 s, and one host holds thousands of them
(docs/request-path.md says why each engine gets the worker class it gets):
- PostgreSQL: gevent workers. A parked poll is a greenlet; psycopg 3 (>= 3.1.14) cooperates
  with gevent by itself, and the polls are woken by LISTEN/NOTIFY.
- SQLite: gthread workers with a thread per parked poll. gevent would freeze a whole worker
  on SQLite's C calls and on the writer queue's flock.
"""

import os

# By the URL's text: this file loads in gunicorn's master, before a gevent worker patches the
# standard library, so it imports nothing that takes locks or sockets.
POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql"))

bind = os.environ.get("HD_BIND", "127.0.0.1:5000")
# Worker processes (WEB_CONCURRENCY). SQLite: 4 on the project's 2 cores. Its writes queue for
# one writer lock, and a gthread worker's writer shares its process's GIL with that worker's
# other requests: with 2 workers a write could hold the lock while it waited for its own
# process's GIL; city_load's claim p99 fell from 13 s to 0.6 s with 4 (docs/performance.md).
# PostgreSQL: gevent workers wait for the database cooperatively; 2, one per core (4 doubled
# the connections and the backends' CPU). Set it per host: both were measured on 2 cores.
DEFAULT_WORKERS = {"postgresql": 2, "sqlite": 4}
workers = int(
    os.environ.get("WEB_CONCURRENCY") or DEFAULT_WORKERS["postgresql" if POSTGRES else "sqlite"]
)
# Polls one worker parks (past them it answers 503 with Retry-After; service.tablet.waiting).
# 1,500: the workers share the listening socket and need not split 2,000 tablets evenly.
_waiters = int(os.environ.get("HD_FEED_WAITERS", "1500"))
# Requests one worker serves at once (the gate in service.tablet.waiting): more would queue on
# the GIL while holding hot rows locked.
_working = int(os.environ.get("HD_THREADS", "4"))
worker_class = "gevent" if POSTGRES else "gthread"
threads = _working + _waiters  # gthread only: a thread per parked poll, beside the working ones
# Clients one worker holds: every parked tablet plus the other clients, kept alive or not.
worker_connections = _waiters + int(os.environ.get("HD_WORKER_CONNECTIONS", "200"))
keepalive = int(os.environ.get("HD_KEEPALIVE_S", "5"))
# Each worker opens its own connection pool after the fork, never sharing one.
preload_app = False
timeout = 60
graceful_timeout = 10
accesslog = os.environ.get("HD_ACCESS_LOG") or None
wsgi_app = "service:create_app()"
# gunicorn's control socket has one default path per user, which several servers on one machine
# (tests, benchmarks, make run) would fight over; nothing here uses it.
control_socket_disable = True

# Requests gunicorn refuses itself, before the app sees them (its own plain-text answers): a
# request line over 4094 bytes (414), over 100 header fields or a field over 8190 bytes (431),
# malformed HTTP (400). gunicorn's defaults, stated here so the docs' table of limits has one
# source; in production nginx refuses most of these first (deploy/).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190


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
