"""A small HTTP load generator: processes x threads, keep-alive connections, latencies kept.

Used for every benchmark and for its /v1/_ping ceiling alike, so the two figures divide fairly.
"""

import http.client
import json
import multiprocessing
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Result:
    status: int
    started: float
    latency_s: float
    body: bytes


def json_call(method: str, path: str, payload=None, token: str | None = None) -> Call:
    headers = [("Content-Type", "application/json")] if payload is not None else []
    if token:
        headers.append(("Authorization", f"Bearer {token}"))
    body = json.dumps(payload).encode() if payload is not None else None
    return Call(method, path, body, tuple(headers))


def run_load(
    base_url: str,
    calls: list[Call],
    *,
    clients: int = 64,
    processes: int = 4,
    keep_body: bool = False,
) -> list[Result]:
    """Send `calls` from `clients` concurrent keep-alive connections; results in call order."""
    processes = max(1, min(processes, clients))
    slices = [list(range(p, len(calls), processes)) for p in range(processes)]
    start_at = time.time() + 0.5  # every process starts sending at the same moment
    context = multiprocessing.get_context("fork")
    with context.Pool(processes) as pool:
        parts = pool.starmap(
            _process,
            [
                (base_url, [calls[i] for i in s], clients // processes, start_at, keep_body)
                for s in slices
            ],
        )
    results: list = [None] * len(calls)
    for indexes, part in zip(slices, parts, strict=True):
        for index, result in zip(indexes, part, strict=True):
            results[index] = result
    return results


def _process(base_url, calls, threads, start_at, keep_body):
    url = urlsplit(base_url)
    results: list = [None] * len(calls)
    threads = max(1, min(threads, len(calls)))

    def worker(first: int) -> None:
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        time.sleep(max(0.0, start_at - time.time()))
        for index in range(first, len(calls), threads):
            call = calls[index]
            began = time.perf_counter()
            wall = time.time()
            try:
                conn.request(call.method, call.path, body=call.body, headers=dict(call.headers))
                response = conn.getresponse()
                body = response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
                status, body = 0, b""
            latency = time.perf_counter() - began
            results[index] = Result(status, wall, latency, body if keep_body else b"")
        conn.close()

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return results


def percentile_ms(latencies: list[float], q: float) -> float:
    """The q-th percentile (0-100) of latencies in seconds, in milliseconds."""
    ordered = sorted(latencies)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return round(ordered[index] * 1000, 2)


def span(results: list[Result]) -> tuple[float, float]:
    """The first send and the last answer, as time.time() moments."""
    return min(r.started for r in results), max(r.started + r.latency_s for r in results)


def throughput(results: list[Result]) -> float:
    """Requests per second from the first send to the last answer."""
    begin, end = span(results)
    return len(results) / (end - begin)
