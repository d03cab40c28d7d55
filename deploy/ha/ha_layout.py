"""Where one HA cluster lives (its directory, ports and Patroni) and whether this machine can
run it; the app's DATABASE_URL naming both nodes. Standard library only (deploy/ha/cluster.py)."""

import os
import pwd
import shutil
from dataclasses import dataclass
from pathlib import Path

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
