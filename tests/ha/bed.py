"""The HA test bed as a context manager, for tests/ha and tests/bench/failover.py: the Patroni
cluster, schema and seed world, the simulated drop's actors, two app hosts and nginx."""

import hashlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from tests.ha import harness
from tests.support.live import ROOT, free_port
from tests.support.simulation import SCENARIO, simulated_env

# Twenty-five seconds after the world is made (real time: the clock runs at 1x) the batch opens.
START, DROP = "2026-11-25T19:59:35+08:00", "2026-11-25T20:00:00+08:00"
ACTORS = {"consumers": 24, "stores": 6, "couriers": 6, "quota": 16}


@dataclass
class Bed:
    layout: object
    url: str  # the app's DATABASE_URL: both nodes, read-write only
    hosts: list[harness.AppHost]
    proxy: harness.Proxy
    world: dict
    workdir: Path


def unavailable() -> str | None:
    """Why this machine cannot run the bed (None: it can)."""
    return harness.cluster.available(harness.layout(ROOT / "instance" / "ha-probe"))


@contextmanager
def started_bed() -> Iterator[Bed]:
    """Start everything on free ports under instance/ha-test-*; stop and remove it after."""
    base = ROOT / "instance" / f"ha-test-{free_port()}"
    layout = harness.layout(base)
    hosts, proxy = [], None
    try:
        harness.cluster.up(layout)
        url = layout.url()
        seed(url, layout)
        sim_env = simulated_env(speed=1, start=START, lead_s=5)
        world = prepare(url, base)
        # Test mode: the sandbox takes the consumers' payments, its books (the "provider")
        # one file all the hosts' processes share, outside the cluster that fails over.
        host_env = {
            **sim_env,
            "DATABASE_URL": url,
            "HD_TESTING": "1",
            "HD_PAY_SANDBOX_DB": str(base / "sandbox.sqlite3"),
        }
        hosts = [harness.AppHost(name, free_port(), base, host_env) for name in ("app1", "app2")]
        for host in hosts:  # both start together: each takes seconds to import and fork
            host.launch()
        for host in hosts:
            host.wait_ready()
        proxy = harness.Proxy(base / "nginx", [host.port for host in hosts])
        proxy.start()
        _until_the_drop(sim_env)
        yield Bed(layout, url, hosts, proxy, world, base)
    finally:
        if proxy is not None:
            proxy.stop()
        for host in hosts:
            host.stop()
        harness.cluster.down(layout)
        _keep_logs(base)
        shutil.rmtree(base, ignore_errors=True)


def _until_the_drop(sim_env: dict) -> None:
    """Wait (real time: the clock runs at 1x) until the batch has opened, so every scenario's
    load claims and orders before its outage too."""
    anchor = datetime.fromisoformat(sim_env["HD_SIM_ANCHOR"])
    drop = anchor + (datetime.fromisoformat(DROP) - datetime.fromisoformat(START))
    time.sleep(max(0.0, (drop - datetime.now(UTC)).total_seconds() + 1))


def seed(url: str, layout) -> None:
    """The schema and seed world: restored from the dump an earlier bed of the same code made
    (`make test-ha`, then the failover bench in CI), else migrated and loaded, then dumped.
    The dump is named by a hash of the service's code and fixtures, so a change rebuilds it."""
    dump = ROOT / "instance" / f"ha-seed-{_code_hash()}.dump"
    port = str(layout.node(harness.cluster.leader(layout))["pg_port"])
    where = ["-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", harness.cluster.DATABASE]
    if dump.exists():
        restore = [str(harness.cluster.PG_BIN / "pg_restore"), "--no-owner", *where, str(dump)]
        subprocess.run(restore, check=True, capture_output=True)
        analyze = [str(harness.cluster.PG_BIN / "psql"), *where, "-qc", "ANALYZE"]
        subprocess.run(analyze, check=True, capture_output=True)  # a restore has no statistics
        return
    harness.hourdelivery(url, "db", "upgrade")
    harness.hourdelivery(url, "fixtures", "load")
    for old in dump.parent.glob("ha-seed-*.dump"):
        old.unlink()
    partial = dump.with_suffix(".partial")
    pg_dump = [str(harness.cluster.PG_BIN / "pg_dump"), "-Fc", *where, "-f", str(partial)]
    subprocess.run(pg_dump, check=True, capture_output=True)
    partial.rename(dump)


def _code_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted([*(ROOT / "service").rglob("*.py"), *(ROOT / "fixtures").rglob("*")]):
        if path.is_file():
            digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _keep_logs(base: Path) -> None:
    """The last run's logs (Patroni, PostgreSQL, etcd, app hosts) in instance/ha-test-logs."""
    kept = ROOT / "instance" / "ha-test-logs"
    shutil.rmtree(kept, ignore_errors=True)
    for log in [
        *base.glob("*.log"),
        *base.glob("*.out"),
        *base.glob("pg*/*.log"),
        *base.glob("pg*/data/log/*"),
    ]:
        target = kept / log.relative_to(base)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, target)


def scenario_toml() -> str:
    """The suite's short scenario, on the real clock, sized for the HA run."""
    text = SCENARIO.replace('start = "2026-11-25T19:40:00+08:00"', f'start = "{START}"')
    return text.replace('at = "2026-11-25T20:00:00+08:00"', f'at = "{DROP}"')


def prepare(url: str, base: Path) -> dict:
    """The drop's people, stores, couriers and campaign, made by the simulator's own code."""
    from service.db import Database, make_engine
    from service.simulate.prepare import prepare_world
    from service.simulate.scenario import load_scenario

    (base / "scenario.toml").write_text(scenario_toml(), encoding="utf-8")
    scenario = load_scenario(base / "scenario.toml").scaled(**ACTORS)
    engine = make_engine(url)
    try:
        with Database(engine).unit_of_work() as session:
            world = prepare_world(
                session=session, scenario=scenario, now=scenario.start - timedelta(seconds=5)
            )
            _stock_up(session, [store["id"] for store in world["stores"]])
        return world
    finally:
        engine.dispose()


def _stock_up(session, store_ids: list[int]) -> None:
    """Shelves and counters that outlast every scenario's orders, kept by hand (no feed resets
    them): the runs measure outages, not a sell-out. Auto-accepting stores' orders are ready
    at once (the auto_ready job marks them within its 15 s), so couriers fetch them in a run."""
    ids = {"ids": store_ids}
    session.execute(
        text(
            "UPDATE stores SET adapter_kind = 'manual', max_open_orders = 100000,"
            " prep_minutes = 0 WHERE id = ANY(:ids)"
        ),
        ids,
    )
    session.execute(
        text(
            "UPDATE store_stock SET on_hand = on_hand + 100000"
            " WHERE store_id = ANY(:ids) AND on_hand > 0"
        ),
        ids,
    )
