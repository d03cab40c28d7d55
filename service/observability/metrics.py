"""The service's metrics. Import only after multiproc.prepare_metrics_dir() has run."""

import os
import struct
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from service.observability.multiproc import drop_dead_empty_files

REQUESTS = Counter(
    "hd_http_requests", "HTTP requests by route, method and status", ("route", "method", "status")
)
LATENCY = Histogram(
    "hd_http_request_seconds",
    "HTTP request duration by route and method",
    ("route", "method"),
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
CLAIMS = Counter(
    "hd_claims", "Coupon pack claims by outcome (claimed or the refusal)", ("outcome",)
)
ORDERS = Counter(
    "hd_orders", "Order placements by outcome (placed or the error code)", ("outcome",)
)
REFUSALS = Counter(
    "hd_matching_refusals", "Stores refused when no store could take an order", ("reason",)
)
PAYMENT_NOTIFICATIONS_REFUSED = Counter(
    "hd_payment_notifications_refused",
    "Payment notifications refused (forged or not matching our payment), by reason",
    ("reason",),
)
JOB_RUNS = Counter("hd_job_runs", "Scheduled job runs", ("job",))
JOB_FAILURES = Counter("hd_job_failures", "Job items that failed", ("job",))
JOB_SECONDS = Histogram("hd_job_seconds", "Job run duration", ("job",))
# Set by the check_money job; the latest run's value wins across processes.
INVARIANT_VIOLATIONS = Gauge(
    "hd_invariant_violations",
    "Differences the last invariant check found (check money)",
    multiprocess_mode="mostrecent",
)

# endpoint -> the outcome counter its answers feed
OUTCOMES = {"campaigns.claim": (CLAIMS, "claimed"), "orders.place": (ORDERS, "placed")}


_children: dict = {}  # labels() takes a lock and builds a key each call; ~13 us a request


def _child(metric, *labels):
    key = (metric, labels)
    child = _children.get(key)
    if child is None:
        child = _children.setdefault(key, metric.labels(*labels))
    return child


def record_request(
    endpoint: str | None, route: str, method: str, status: int, seconds: float, body: dict | None
) -> None:
    """Count one finished request (and, for claims and orders, its outcome)."""
    _child(REQUESTS, route, method, str(status)).inc()
    _child(LATENCY, route, method).observe(seconds)
    if endpoint not in OUTCOMES:
        return
    counter, success = OUTCOMES[endpoint]
    error = (body or {}).get("error") or {}
    counter.labels(success if status < 300 else error.get("code", str(status))).inc()
    for reason, stores in (error.get("reasons") or {}).items():
        REFUSALS.labels(reason).inc(stores)


def record_job(name: str, seconds: float, failed: int) -> None:
    """Count one job run and its failed items."""
    JOB_RUNS.labels(name).inc()
    JOB_SECONDS.labels(name).observe(seconds)
    if failed:
        JOB_FAILURES.labels(name).inc(failed)


SCRAPE_ATTEMPTS = 5


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus text format: every process's, in multi-process mode."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
    drop_dead_empty_files()
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    for attempt in range(SCRAPE_ATTEMPTS):
        try:
            return generate_latest(registry), CONTENT_TYPE_LATEST
        except struct.error:
            # A process (a new worker, the scheduler's first job) creates its metrics file
            # empty and sizes it a moment later; prometheus_client reads such a file as
            # truncated. Read the directory again rather than fail the scrape.
            if attempt == SCRAPE_ATTEMPTS - 1:
                raise
            time.sleep(0.01)
