"""A two-node Patroni cluster (PostgreSQL 15 with a synchronous standby) and one etcd on this
machine, with ports and data of its own, for tests and demos (`make ha-up` / `make ha-down`).

Everything runs as the postgres user (`runuser -u postgres`) with its data under one
directory that user owns (instance/ha by default); Debian's cluster on 5432 is left alone.
Standard library only: the tests import it, and `python3 deploy/ha/cluster.py up` runs it.
"""

import argparse
import contextlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from string import Template

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
NODES = ("pg1", "pg2")
DATABASE = "hourdelivery"


@dataclass(frozen=True)
class Layout:
    """Where one cluster lives: its directory, its ports, and the Patroni it runs."""

    base: Path
    etcd_port: int = 2441
    etcd_peer_port: int = 2442
    pg_ports: tuple[int, int] = (5441, 5442)
    rest_ports: tuple[int, int] = (8441, 8442)
    patroni: Path = ROOT / ".venv-ha" / "bin" / "patroni"

    def node(self, name: str) -> dict:
        """The settings of one node, as the template's placeholders."""
        index = NODES.index(name)
        return {
            "name": name,
            "pg_port": self.pg_ports[index],
            "rest_port": self.rest_ports[index],
            "data_dir": self.base / name / "data",
            "log_dir": self.base / name,
            "run_dir": self.base / "run",
            "etcd_hosts": f"127.0.0.1:{self.etcd_port}",
        }

    def url(self, database: str = DATABASE) -> str:
        """The app's DATABASE_URL: every node, libpq picks the one that takes writes."""
        hosts = "&".join(f"host=127.0.0.1:{port}" for port in self.pg_ports)
        return (
            f"postgresql+psycopg://postgres@/{database}?{hosts}"
            "&target_session_attrs=read-write&connect_timeout=3"
            "&keepalives_idle=5&keepalives_interval=2&keepalives_count=3"
        )

    def config(self, name: str) -> Path:
        return self.base / name / "patroni.yml"


def available(layout: Layout) -> str | None:
    """None when this machine can run the cluster, else the reason it cannot."""
    needed = {
        layout.patroni: "Patroni (make ha-install)",
        PG_BIN / "postgres": "PostgreSQL 15 (postgresql-15)",
        Path(shutil.which("etcd") or "/usr/bin/etcd"): "etcd (etcd-server)",
    }
    for path, what in needed.items():
        if not path.exists():
            return f"{what} is not installed: {path} is missing"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "there is no postgres user"
    if os.geteuid() != 0:
        return "starting Patroni as the postgres user needs root (runuser)"
    return None


def up(layout: Layout, timeout_s: float = 120) -> None:
    """Start etcd and both nodes; return once one leads and the other is its synchronous
    standby. Both start together: on a first start one wins the bootstrap and the other clones
    it; on a restart the node that led last leads again (Patroni decides, not the order here)."""
    deadline = time.monotonic() + timeout_s
    _prepare(layout)
    if not _healthy_etcd(layout):
        _spawn(layout, "etcd", _etcd_command(layout))
        _until(lambda: _healthy_etcd(layout), deadline, "etcd did not become healthy")
    for name in NODES:
        start_node(layout, name)
    _until(lambda: leader(layout) is not None, deadline, "no Patroni node became the leader")
    _until(lambda: sync_standby(layout) is not None, deadline, "no synchronous standby appeared")
    _create_database(layout, leader(layout))


def down(layout: Layout) -> None:
    """Stop the standby, then the primary (so no failover starts), then etcd."""
    first = leader(layout)
    for name in sorted(NODES, key=lambda node: node == first):
        stop_node(layout, name)
    _stop(layout, "etcd", signal.SIGTERM)


def start_node(layout: Layout, name: str) -> None:
    """Start one node's Patroni (it bootstraps, clones or rejoins as needed)."""
    if _pid(layout, name) is None:
        command = [str(layout.patroni), str(layout.config(name))]
        _spawn(layout, name, ["runuser", "-u", "postgres", "--", *command])


def stop_node(layout: Layout, name: str, timeout_s: float = 30) -> None:
    """SIGTERM a node's Patroni, which shuts its PostgreSQL down cleanly first."""
    _stop(layout, name, signal.SIGTERM, timeout_s)


def kill_node(layout: Layout, name: str) -> None:
    """Lose a node at once: SIGKILL its Patroni, its postmaster and every backend together."""
    victims = _tree(_pid(layout, name)) | _tree(_postmaster(layout, name))
    for pid in victims:
        _signal(pid, signal.SIGKILL)
    _pidfile(layout, name).unlink(missing_ok=True)


def wait_for_primary(layout: Layout, timeout_s: float = 60) -> str:
    """Block until a node runs as primary (after a failover); its name."""
    _until(lambda: leader(layout) is not None, time.monotonic() + timeout_s, "no primary")
    return leader(layout)


def wait_for_sync_standby(layout: Layout, timeout_s: float = 90) -> str:
    """Block until a node streams as the synchronous standby; its name."""
    _until(
        lambda: sync_standby(layout) is not None,
        time.monotonic() + timeout_s,
        "no synchronous standby",
    )
    return sync_standby(layout)


def switchover(layout: Layout, timeout_s: float = 60) -> str:
    """A planned switchover (patronictl): the synchronous standby becomes primary; its name."""
    old, new = leader(layout), sync_standby(layout)
    if old is None or new is None:
        raise RuntimeError(f"a switchover needs a leader and a synchronous standby: {old}, {new}")
    patronictl = layout.patroni.with_name("patronictl")
    subprocess.run(
        [
            str(patronictl),
            "-c",
            str(layout.config(old)),
            "switchover",
            "--leader",
            old,
            "--candidate",
            new,
            "--force",
        ],
        check=True,
        capture_output=True,
    )
    _until(lambda: leader(layout) == new, time.monotonic() + timeout_s, "the switchover stalled")
    return new


def cluster(layout: Layout) -> dict:
    """Patroni's view of the cluster (GET /cluster), from whichever node answers."""
    for port in layout.rest_ports:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/cluster", timeout=2) as reply:
                return json.load(reply)
        except OSError:
            continue
    return {"members": []}


def leader(layout: Layout) -> str | None:
    """The name of the node running as primary, if any."""
    return _member(layout, "leader")


def sync_standby(layout: Layout) -> str | None:
    """The name of the streaming synchronous standby, if any."""
    return _member(layout, "sync_standby")


def _member(layout: Layout, role: str) -> str | None:
    for member in cluster(layout)["members"]:
        if member["role"] == role and member["state"] in ("running", "streaming"):
            return member["name"]
    return None


def _prepare(layout: Layout) -> None:
    postgres = pwd.getpwnam("postgres")
    template = Template((HERE / "patroni.yml.in").read_text())
    for path in (
        layout.base,
        layout.base / "run",
        layout.base / "etcd",
        *(layout.base / name for name in NODES),
    ):
        path.mkdir(parents=True, exist_ok=True)
        os.chown(path, postgres.pw_uid, postgres.pw_gid)
        path.chmod(0o700 if path.name in ("etcd", *NODES) else 0o755)
    for name in NODES:
        layout.config(name).write_text(template.substitute(layout.node(name)))


def _etcd_command(layout: Layout) -> list[str]:
    client, peer = (
        f"http://127.0.0.1:{layout.etcd_port}",
        f"http://127.0.0.1:{layout.etcd_peer_port}",
    )
    return [
        "runuser",
        "-u",
        "postgres",
        "--",
        shutil.which("etcd") or "etcd",
        "--name",
        "etcd1",
        "--data-dir",
        str(layout.base / "etcd" / "data"),
        "--listen-client-urls",
        client,
        "--advertise-client-urls",
        client,
        "--listen-peer-urls",
        peer,
        "--initial-advertise-peer-urls",
        peer,
        "--initial-cluster",
        f"etcd1={peer}",
        "--log-level",
        "warn",
    ]


def _healthy_etcd(layout: Layout) -> bool:
    try:
        url = f"http://127.0.0.1:{layout.etcd_port}/health"
        with urllib.request.urlopen(url, timeout=2) as reply:
            return json.load(reply).get("health") == "true"
    except (OSError, ValueError):
        return False


def _create_database(layout: Layout, name: str) -> None:
    port = str(layout.node(name)["pg_port"])
    psql = [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-qtA"]
    query = f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"
    exists = subprocess.run(
        [*psql, "-c", query], capture_output=True, text=True, check=True
    ).stdout.strip()
    if not exists:
        subprocess.run([*psql, "-c", f"CREATE DATABASE {DATABASE}"], check=True)


def _spawn(layout: Layout, name: str, command: list[str]) -> None:
    log = (layout.base / f"{name}.out").open("ab")
    process = subprocess.Popen(
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    _pidfile(layout, name).write_text(str(process.pid))


def _stop(layout: Layout, name: str, how: signal.Signals, timeout_s: float = 30) -> None:
    pid = _pid(layout, name)
    if pid is not None:
        for child in _children(pid) or [pid]:  # the program itself, not runuser around it
            _signal(child, how)
        deadline = time.monotonic() + timeout_s
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        for straggler in _tree(pid):
            _signal(straggler, signal.SIGKILL)
    _pidfile(layout, name).unlink(missing_ok=True)


def _pidfile(layout: Layout, name: str) -> Path:
    return layout.base / "run" / f"{name}.pid"


def _pid(layout: Layout, name: str) -> int | None:
    try:
        pid = int(_pidfile(layout, name).read_text())
    except (OSError, ValueError):
        return None
    return pid if _alive(pid) else None


def _postmaster(layout: Layout, name: str) -> int | None:
    try:
        return int((layout.node(name)["data_dir"] / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _children(pid: int) -> list[int]:
    try:
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in listed.split()]


def _tree(pid: int | None) -> set[int]:
    if pid is None or not _alive(pid):
        return set()
    found = {pid}
    for child in _children(pid):
        found |= _tree(child)
    return found


def _signal(pid: int, how: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, how)


def _until(ready, deadline: float, failure: str) -> None:
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(failure)
        time.sleep(0.3)


def main() -> None:
    """`cluster.py up|down|status [--base DIR]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("up", "down", "status", "url"))
    parser.add_argument("--base", default=os.environ.get("HA_DIR", ROOT / "instance" / "ha"))
    args = parser.parse_args()
    layout = Layout(Path(args.base).resolve())
    if args.action == "up":
        if (reason := available(layout)) is not None:
            sys.exit(f"cannot start the cluster: {reason}")
        up(layout)
        print(f"leader {leader(layout)}, synchronous standby {sync_standby(layout)}")
        print(f"DATABASE_URL={layout.url()}")
    elif args.action == "down":
        down(layout)
    elif args.action == "status":
        print(json.dumps(cluster(layout), indent=2))
    else:
        print(layout.url())


if __name__ == "__main__":
    main()
