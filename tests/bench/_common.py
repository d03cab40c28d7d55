"""What every benchmark shares: scale, engines, a seeded database and a gunicorn to hit."""

import hashlib
import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from service.db.migrate import alembic_config
from tests.support.databases import build_template, drop_template
from tests.support.live import start_server

TINY = os.environ.get("BENCH_SCALE") == "tiny"


def schema_tag() -> str:
    """The migration head plus a digest of the whole chain, for cache keys: branches that number
    a revision alike but chain it differently (or change its file) must not share a cached
    database."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    digest = hashlib.sha256()
    for revision in script.walk_revisions():  # ids alone collide: two branches' bare "0009"
        digest.update(f"{revision.revision}<{revision.down_revision}".encode())
        digest.update(Path(revision.path).read_bytes())
    return f"{script.get_current_head()}-{digest.hexdigest()[:8]}"


def engines() -> list[str]:
    """sqlite always; postgresql when TEST_DATABASE_URL answers (required under CI=true)."""
    url = os.environ.get("TEST_DATABASE_URL")
    reason = None
    if not url:
        reason = "TEST_DATABASE_URL is not set"
    else:
        try:
            probe = create_engine(url, connect_args={"connect_timeout": 3})
            probe.connect().close()
            probe.dispose()
        except Exception as error:  # any driver error: no PostgreSQL here
            reason = f"PostgreSQL unreachable ({type(error).__name__})"
    if reason and os.environ.get("CI") == "true":
        sys.exit(f"benchmark needs PostgreSQL under CI: {reason}")
    if reason:
        print(json.dumps({"engine": "postgresql", "skipped": reason}), flush=True)
        return ["sqlite"]
    return ["sqlite", "postgresql"]


class Bench:
    """A seeded database copy and, once `serve` is called, a gunicorn with 2 workers on it."""

    def __init__(self, engine: str):
        self.engine = engine
        self.workdir = Path(tempfile.mkdtemp(prefix=f"bench-{engine}-"))
        self.now = datetime.now(UTC)
        self.template = build_template(engine, self.workdir, self.now)
        self.url = self.template.copy()
        self.server = None

    def serve(self, workers: int = 2):
        self.server = start_server(self.url, self.workdir, workers=workers)
        return self.server

    def close(self) -> None:
        if self.server:
            self.server.stop()
        self.template.drop(self.url)
        drop_template(self.template)


def emit(figures: dict) -> None:
    """One JSON line of figures on stdout."""
    print(json.dumps(figures), flush=True)


def beside_ping(
    url: str,
    workdir: Path,
    calls: list,
    *,
    name: str,
    ok: int,
    pings: int,
    clients: int,
    share_key: str | None = None,
    ratio_key: str = "ratio_to_ceiling",
    cpu_prefix: str | None = None,
) -> dict:
    """Pings, then `calls`, on one gunicorn: the rate of `ok` answers, its ratio to the ping
    ceiling and the CPU per request of both (figures named http_<name>_per_s and so on; the
    keys arguments keep the names a benchmark already publishes)."""
    from tests.bench._cpu import measured_load
    from tests.bench._loadgen import Call, percentile_ms, span, throughput

    server = start_server(url, workdir)
    try:
        pinged = measured_load(server, [Call("GET", "/v1/_ping")] * pings, clients=clients)
        loaded = measured_load(server, calls, clients=clients)
    finally:
        server.stop()
    ping, results = pinged.results, loaded.results
    done = [r for r in results if r.status == ok]
    begin, end = span(results)
    rate = len(done) / (end - begin)
    ceiling = throughput(ping)
    return {
        share_key or f"http_{name}_share": round(len(done) / len(results), 3),
        f"http_{name}_per_s": round(rate, 1),
        "http_p50_ms": percentile_ms([r.latency_s for r in done], 50),
        "ceiling_req_per_s": round(ceiling, 1),
        ratio_key: round(rate / ceiling, 3),
        # CPU per request (ms): what bounds the ratio once the cores are busy.
        **pinged.cpu_figures("ping_", *span(ping), len(ping)),
        **loaded.cpu_figures(cpu_prefix or f"{name}_", begin, end, len(results)),
    }


def each_engine(run) -> list[dict]:
    """`run(bench)` on a fresh Bench per engine; each result emitted as it comes."""
    results = []
    for engine in engines():
        bench = Bench(engine)
        try:
            results.append(run(bench))
        finally:
            bench.close()
        emit(results[-1])
    return results
