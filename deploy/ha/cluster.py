"""A two-node Patroni cluster (PostgreSQL 15 with a synchronous standby) and one etcd on this
machine, with ports and data of its own, for tests and demos (`make ha-up` / `make ha-down`).

Everything runs as the postgres user (`runuser -u postgres`) with its data under one
directory that user owns (instance/ha by default); Debian's cluster on 5432 is left alone.
Standard library only: the tests import it, and `python3 deploy/ha/cluster.py up` runs it.
"""

import argparse
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from string import Template

import ha_procs as procs
from ha_layout import DATABASE, HERE, NODES, PG_BIN, ROOT, Layout, available
from ha_procs import tree

__all__ = ["Layout", "available", "tree"]  # with this module's own: what tests/ha uses


def up(layout: Layout, timeout_s: float = 120) -> None:
    """Start etcd and both nodes; return once one leads and the other is its synchronous
    standby. Both start together: on a first start one wins the bootstrap and the other clones
    it; on a restart the node that led last leads again (Patroni decides, not the order here)."""
    deadline = time.monotonic() + timeout_s
    _prepare(layout)
    if not _healthy_etcd(layout):
        procs.spawn(layout, "etcd", _etcd_command(layout))
        procs.until(lambda: _healthy_etcd(layout), deadline, "etcd did not become healthy")
    for name in NODES:
        start_node(layout, name)
    procs.until(lambda: leader(layout) is not None, deadline, "no Patroni node became the leader")
    procs.until(
        lambda: sync_standby(layout) is not None, deadline, "no synchronous standby appeared"
    )
    _create_database(layout, leader(layout))


def down(layout: Layout) -> None:
    """Stop the standby, then the primary (so no failover starts), then etcd."""
    first = leader(layout)
    for name in sorted(NODES, key=lambda node: node == first):
        stop_node(layout, name)
    procs.stop(layout, "etcd", signal.SIGTERM)


def start_node(layout: Layout, name: str) -> None:
    """Start one node's Patroni (it bootstraps, clones or rejoins as needed)."""
    if procs.pid_of(layout, name) is None:
        command = [str(layout.patroni), str(layout.config(name))]
        procs.spawn(layout, name, ["runuser", "-u", "postgres", "--", *command])


def stop_node(layout: Layout, name: str, timeout_s: float = 30) -> None:
    """SIGTERM a node's Patroni, which shuts its PostgreSQL down cleanly first."""
    procs.stop(layout, name, signal.SIGTERM, timeout_s)


def kill_node(layout: Layout, name: str) -> None:
    """Lose a node at once: SIGKILL its Patroni, its postmaster and every backend together."""
    victims = procs.tree(procs.pid_of(layout, name)) | procs.tree(procs.postmaster(layout, name))
    for pid in victims:
        procs.send(pid, signal.SIGKILL)
    procs.pidfile(layout, name).unlink(missing_ok=True)


def wait_for_primary(layout: Layout, timeout_s: float = 60) -> str:
    """Block until a node runs as primary (after a failover); its name."""
    procs.until(lambda: leader(layout) is not None, time.monotonic() + timeout_s, "no primary")
    return leader(layout)


def wait_for_sync_standby(layout: Layout, timeout_s: float = 90) -> str:
    """Block until a node streams as the synchronous standby; its name."""
    procs.until(
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
    procs.until(
        lambda: leader(layout) == new, time.monotonic() + timeout_s, "the switchover stalled"
    )
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
