"""A real gunicorn server (2+ worker processes) on a free port, for tests that race clients."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LiveServer:
    url: str
    database_url: str
    process: subprocess.Popen
    log: Path

    def worker_pids(self) -> list[int]:
        """PIDs of the gunicorn workers: the master's child processes."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def stop(self, *, quick: bool = False) -> None:
        """SIGTERM: gunicorn's graceful stop, which waits up to its graceful_timeout (10 s) for
        requests under way: a parked poll, a browser's kept-alive connection on gevent. `quick`
        when the test is over and nothing waits for them: the master quits and its workers are
        killed (a gthread worker's exit would still wait for its parked polls' threads)."""
        if self.process.poll() is None:
            workers = self.worker_pids() if quick else []
            self.process.send_signal(signal.SIGQUIT if quick else signal.SIGTERM)
            for pid in workers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    database_url: str,
    logdir: Path,
    *,
    workers: int = 2,
    failpoints: str = "",
    threads: int = 4,
    env: dict[str, str] | None = None,
    port: int | None = None,
    wrapper: tuple[str, ...] = (),
    ready_timeout_s: float = 120,
) -> LiveServer:
    """Start gunicorn on `database_url` (with extra `env`; on `port`, else a free one) and wait
    until /healthz answers. `wrapper` runs gunicorn under a command (valgrind, for one)."""
    port = port or free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "HD_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "HD_THREADS": str(threads),
        "HD_FAILPOINTS": failpoints,
        "LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    log = logdir / f"gunicorn-{port}.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [*wrapper, str(gunicorn), "-c", "python:service.gunicorn_conf"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = LiveServer(f"http://127.0.0.1:{port}", database_url, process, log)
    _wait_ready(server, workers, ready_timeout_s)
    return server


def _wait_ready(server: LiveServer, workers: int, timeout_s: float = 120) -> None:
    # Generous: on a loaded machine (load 25+ on 2 cores) a worker took 50 s to import the app.
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{server.log.read_text()[-3000:]}")
        try:
            ready = requests.get(server.url + "/healthz", timeout=2).status_code == 200
        except requests.RequestException:  # refused, or a read timeout on a loaded machine
            ready = False
        if ready and len(server.worker_pids()) >= workers:
            return
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"gunicorn not ready in {timeout_s}s:\n{server.log.read_text()[-3000:]}")
