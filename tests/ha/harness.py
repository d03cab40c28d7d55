"""The HA test bed: the Patroni cluster of deploy/ha on ports of its own, two app hosts (each a
gunicorn and a scheduler on one shared simulated clock) and nginx in front of both, configured
by deploy/'s production template."""

import getpass
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.support.live import ROOT, free_port

sys.path[:0] = [str(ROOT / "deploy" / "ha"), str(ROOT / "deploy")]
import cluster  # noqa: E402  (deploy/ha/cluster.py: standard library only, not a package)
from render_nginx import render  # noqa: E402

from tests.test_nginx_live import self_signed  # noqa: E402

NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin") or "nginx"

BIN = Path(sys.executable).parent


def layout(base: Path) -> "cluster.Layout":
    """A cluster on free ports, so a `make ha-up` cluster or another test run is untouched."""
    return cluster.Layout(
        base,
        etcd_port=free_port(),
        etcd_peer_port=free_port(),
        pg_ports=(free_port(), free_port()),
        rest_ports=(free_port(), free_port()),
    )


def hourdelivery(url: str, *args: str, env: dict | None = None) -> str:
    """Run the CLI on `url`; its output."""
    done = subprocess.run(
        [str(BIN / "hourdelivery"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {}), "DATABASE_URL": url},
        timeout=300,
    )
    if done.returncode:
        raise RuntimeError(f"hourdelivery {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


@dataclass
class AppHost:
    """One app host: gunicorn (2 workers) and its own scheduler, on one port."""

    name: str
    port: int
    logdir: Path
    env: dict
    web: subprocess.Popen | None = None
    scheduler: subprocess.Popen | None = None

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        """Start gunicorn and the scheduler (`wait_ready` waits for the web side)."""
        env = {
            **os.environ,
            **self.env,
            "HD_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": "2",
            "HD_THREADS": "4",
            "LOG_LEVEL": "WARNING",
            "HD_SCHEDULER_LOCK_POLL_S": "1",
            "HD_SCHEDULER_REFRESH_S": "10",
            "HD_PROXY_HOPS": "1",
        }
        self.web = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "python:service.gunicorn_conf"],
            cwd=ROOT,
            env=env,
            stdout=self._log("web"),
            stderr=subprocess.STDOUT,
        )
        self.scheduler = subprocess.Popen(
            [str(BIN / "hourdelivery"), "scheduler"],
            cwd=ROOT,
            env=env,
            stdout=self._log("scheduler"),
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self) -> None:
        """Until the host answers /healthz."""
        _until(
            lambda: _answers(requests.Session(), f"http://127.0.0.1:{self.port}/healthz"),
            60,
            f"{self.name} did not answer /healthz",
        )

    def stop(self, how: signal.Signals = signal.SIGTERM) -> None:
        """Stop both processes (SIGTERM: gracefully; SIGKILL: the host is lost)."""
        for process in (self.web, self.scheduler):
            if process is not None and process.poll() is None:
                if how == signal.SIGKILL:
                    for pid in cluster.tree(process.pid):
                        os.kill(pid, signal.SIGKILL)
                else:
                    process.send_signal(how)
        for process in (self.web, self.scheduler):
            if process is not None:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def _log(self, what: str):
        return (self.logdir / f"{self.name}-{what}.log").open("ab")


def nginx_config(upstreams: list[int], proxy: "Proxy") -> str:
    """deploy/'s production nginx template (issue 21) rendered for these app hosts on the
    proxy's free ports, with the certificate made for it."""
    return render(
        [f"127.0.0.1:{port}" for port in upstreams],
        cert=proxy.cert,
        key=str(proxy.prefix / "key.pem"),
        listen=f"127.0.0.1:{proxy.port}",
        http_listen=f"127.0.0.1:{proxy.http_port}",
        prefix=str(proxy.prefix),
        user=getpass.getuser(),
        worker_connections=1024,
    )


@dataclass
class Proxy:
    """nginx (deploy/'s configuration, over TLS) on free ports in front of the app hosts."""

    prefix: Path
    upstreams: list[int]
    port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def cert(self) -> str:
        return str(self.prefix / "cert.pem")

    def session(self) -> requests.Session:
        """A client session that trusts this proxy's certificate."""
        http = requests.Session()
        http.trust_env = False  # else REQUESTS_CA_BUNDLE would override `verify`
        http.verify = self.cert
        return http

    def start(self) -> None:
        self.prefix.mkdir(parents=True, exist_ok=True)
        self.prefix.chmod(0o755)  # nginx's workers write their temporary files here
        self_signed(self.prefix)
        conf = self.prefix / "nginx.conf"
        conf.write_text(nginx_config(self.upstreams, self))
        command = [
            NGINX,
            "-c",
            str(conf),
            "-p",
            str(self.prefix),
            "-e",
            str(self.prefix / "error.log"),
            "-g",
            "daemon off;",
        ]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        _until(lambda: _answers(self.session(), self.url + "/healthz"), 20, "nginx did not start")

    def route_to(self, upstreams: list[int]) -> None:
        """Send new requests only to `upstreams` (nginx reloads: old workers finish theirs)."""
        self.upstreams = upstreams
        (self.prefix / "nginx.conf").write_text(nginx_config(upstreams, self))
        self.process.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _answers(http: requests.Session, url: str) -> bool:
    try:
        return http.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _until(ready, timeout_s: float, failure: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(failure)
        time.sleep(0.2)
