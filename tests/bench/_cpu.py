"""CPU seconds spent by the server's processes, sampled while a load runs.

A ratio to the /v1/_ping ceiling says how far an endpoint is from free; the CPU each request
costs the gunicorn workers (and the PostgreSQL backends serving them) says why. The sampler
reads /proc ten times a second, so the CPU up to any moment of the run (the sell-out of a
claim burst, say) can be read off afterwards. The load generator's own CPU comes from
getrusage: its processes are this process's children and are gone when a load ends.
"""

import bisect
import os
import resource
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.bench._loadgen import Call, Result, run_load

TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def children_cpu_s() -> float:
    """CPU seconds of this process's finished children: the load generator's processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def postgres_backends(database: str) -> list[int]:
    """PIDs of the PostgreSQL backends connected to `database` (readable as root or postgres)."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")[0].split()
        except OSError:
            continue
        if words[:1] == [b"postgres:"] and database.encode() in words:
            pids.append(int(cmdline.parent.name))
    return pids


class CpuSampler:
    """Samples the summed CPU of `groups` of processes ({name: pids callable}) in a thread."""

    def __init__(self, groups: dict, interval_s: float = 0.1):
        self.groups = groups
        self.interval_s = interval_s
        self.samples: list[tuple[float, dict[str, float]]] = []
        self._stop = threading.Event()
        self._seen: dict[str, dict[int, float]] = {name: {} for name in groups}

    def __enter__(self):
        self._take()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc):
        self._stop.set()
        self._thread.join()
        self._take()

    def used_ms(self, name: str, begin: float, end: float) -> float:
        """CPU milliseconds group `name` used between two time.time() moments of the run."""
        return 1000 * (self._at(name, end) - self._at(name, begin))

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._take()

    def _take(self) -> None:
        totals = {}
        for name, pids in self.groups.items():
            # Backends come and go with the pool: remember every process seen, keep its last.
            seen = self._seen[name]
            for pid in pids():
                seen[pid] = max(seen.get(pid, 0.0), process_cpu_s(pid))
            totals[name] = sum(seen.values())
        self.samples.append((time.time(), totals))

    def _at(self, name: str, moment: float) -> float:
        times = [t for t, _ in self.samples]
        index = min(max(bisect.bisect_left(times, moment), 0), len(times) - 1)
        return self.samples[index][1][name]


@dataclass
class MeasuredLoad:
    """A load's results with the CPU its server and its clients spent on it."""

    results: list[Result]
    sampler: CpuSampler
    client_cpu_s: float

    def cpu_figures(self, prefix: str, begin: float, end: float, requests: int) -> dict:
        """CPU ms per request between two moments: gunicorn workers, PostgreSQL, clients."""
        figures = {}
        for group in self.sampler.groups:
            used = self.sampler.used_ms(group, begin, end)
            figures[f"{prefix}{group}_cpu_ms"] = round(used / max(requests, 1), 3)
        per_call = 1000 * self.client_cpu_s / max(len(self.results), 1)
        figures[f"{prefix}client_cpu_ms"] = round(per_call, 3)
        return figures


def measured_load(
    server, calls: list[Call], *, clients: int, keep_body: bool = False
) -> MeasuredLoad:
    """run_load, sampling the CPU of the server's workers and (PostgreSQL) its backends."""
    workers = server.worker_pids()
    groups = {"worker": lambda: workers}
    url = make_url(server.database_url)
    if url.get_backend_name() == "postgresql":
        groups["db"] = lambda: postgres_backends(url.database)
    before = children_cpu_s()
    with CpuSampler(groups) as sampler:
        results = run_load(server.url, calls, clients=clients, keep_body=keep_body)
    return MeasuredLoad(results, sampler, children_cpu_s() - before)
