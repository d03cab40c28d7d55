"""Benchmark: product search near a point in a city of 5,000 stores x 200 SKUs.

Points uniform in the city's disc; queries a third each of 2-character (served by a scan of
the catalogue), 3+-character (the trigram index) and category-only, all from the catalogue's
words. In-process through the route's service function, then over HTTP beside /v1/_ping on
the same server. One JSON line per engine. BENCH_SCALE=tiny runs a small city (CI smoke).
"""

import random
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from service.catalog.schemas import SearchQuery
from service.catalog.service import search_products
from service.db import Database, make_engine
from tests.bench._bench_city import (
    CATEGORIES,
    catalogue_entries,
    each_engine,
    point_in_disc,
)
from tests.bench._common import TINY, beside_ping
from tests.bench._loadgen import Call, percentile_ms

STORES, SKUS = (300, 40) if TINY else (5_000, 200)
IN_PROCESS, HTTP_SEARCHES, PINGS = (60, 300, 1_000) if TINY else (1_000, 3_000, 10_000)
CLIENTS = 64


def main() -> None:
    each_engine("search", STORES, SKUS, run)


def run(engine: str, url: str, workdir: Path) -> dict:
    rng = random.Random(f"search-{engine}")
    words = _words()
    queries = [_query(rng, words, n) for n in range(IN_PROCESS + HTTP_SEARCHES)]
    sa_engine = make_engine(url)
    timed = _in_process(Database(sa_engine), queries[:IN_PROCESS])
    sa_engine.dispose()
    latencies = [t for t, _, _ in timed]
    return {
        "benchmark": "search",
        "engine": engine,
        "stores": STORES,
        "skus": SKUS,
        "searches": len(timed),
        "search_p50_ms": round(statistics.median(latencies) * 1000, 2),
        "search_p99_ms": percentile_ms(latencies, 99),
        # CPU of this process (SQLite's work included): steady where wall times follow the load
        "search_cpu_p50_ms": round(statistics.median(c for _, c, _ in timed) * 1000, 2),
        "nonempty_share": round(sum(1 for _, _, hits in timed if hits) / len(timed), 3),
        **_over_http(url, workdir, queries[IN_PROCESS:]),
    }


def _words() -> dict[str, list[str]]:
    """2-character and 3+-character substrings of the bench catalogue's names and brands."""
    short, long = set(), set()
    for category in CATEGORIES:
        for name, _, brand, _ in catalogue_entries(category):
            head = name.split()[0]
            short.add(head[:2])
            long.update(w for w in (head[:3], brand.split()[0] if brand else "") if len(w) >= 3)
    return {"short": sorted(short), "long": sorted(long)}


def _query(rng: random.Random, words: dict, n: int) -> dict:
    lat, lon = point_in_disc(rng, 14.0)
    kind = n % 3
    if kind == 0:
        return {"lat": lat, "lon": lon, "q": rng.choice(words["short"])}
    if kind == 1:
        return {"lat": lat, "lon": lon, "q": rng.choice(words["long"])}
    return {"lat": lat, "lon": lon, "category": rng.choice(CATEGORIES)}


def _in_process(database: Database, queries: list[dict]) -> list[tuple[float, float, int]]:
    """(wall seconds, CPU seconds, hits) per search."""
    results = []
    for params in queries:
        began, cpu = time.perf_counter(), time.process_time()
        with database.unit_of_work() as session:
            found = search_products(
                session=session, query=SearchQuery.model_validate(params), now=datetime.now(UTC)
            )
        results.append((time.perf_counter() - began, time.process_time() - cpu, len(found.results)))
    return results


def _over_http(url: str, workdir: Path, queries: list[dict]) -> dict:
    calls = [Call("GET", "/v1/products/search?" + urlencode(q)) for q in queries]
    return beside_ping(url, workdir, calls, name="searches", ok=200, pings=PINGS, clients=CLIENTS)


if __name__ == "__main__":
    main()
