"""Benchmark: a burst of coupon claims through gunicorn against the /v1/_ping ceiling.

20,000 distinct consumers race for a batch of 10,000 packs from 64 concurrent clients.
Prints one JSON line per engine. BENCH_SCALE=tiny runs a small version (CI smoke).
"""

from collections import Counter

from sqlalchemy import select

from service.campaigns.models import Batch, Campaign
from service.db import Database, make_engine
from tests.bench._common import TINY, Bench, emit, engines
from tests.bench._cpu import measured_load
from tests.bench._loadgen import Call, json_call, percentile_ms, span, throughput
from tests.support.factories import CHANGSHA_POINT, make_campaign, make_consumers

CONSUMERS, QUOTA, PINGS = (400, 200, 2_000) if TINY else (20_000, 10_000, 20_000)
CLIENTS = 64


def main() -> None:
    for engine in engines():
        bench = Bench(engine)
        try:
            figures = run(bench)
        finally:
            bench.close()
        emit(figures)
        # A benchmark that over- or under-issues has found a bug, not a speed: fail loudly.
        if (figures["issued"], figures["issued_fen"]) != (QUOTA, figures["issued_fen_expected"]):
            raise SystemExit(f"claim_burst on {engine}: issued {figures['issued']} != quota")


def run(bench: Bench) -> dict:
    campaign_id, batch_id, tokens, pack = _seed(bench)
    server = bench.serve()
    pinged = measured_load(server, [Call("GET", "/v1/_ping")] * PINGS, clients=CLIENTS)
    ping = pinged.results
    path = f"/v1/campaigns/{campaign_id}/claim"
    calls = [json_call("POST", path, CHANGSHA_POINT, token) for token in tokens]
    claimed = measured_load(server, calls, clients=CLIENTS, keep_body=True)
    claims = claimed.results
    won = [r for r in claims if r.status == 201]
    began, sold_out_at = span(claims)[0], span(won)[1]
    rate = len(won) / (sold_out_at - began)
    ceiling = throughput(ping)
    issued, packs = _totals(bench, campaign_id, batch_id)
    return {
        "benchmark": "claim_burst",
        "engine": bench.engine,
        "consumers": CONSUMERS,
        "clients": CLIENTS,
        "claims_per_s": round(rate, 1),
        "p50_ms": percentile_ms([r.latency_s for r in won], 50),
        "p99_ms": percentile_ms([r.latency_s for r in won], 99),
        "issued": packs,
        "quota": QUOTA,
        "issued_fen": issued,
        "issued_fen_expected": QUOTA * pack,
        "outcomes": dict(Counter(_outcome(r) for r in claims)),
        "ceiling_req_per_s": round(ceiling, 1),
        "ping_p50_ms": percentile_ms([r.latency_s for r in ping], 50),
        "ratio_to_ceiling": round(rate / ceiling, 3),
        # CPU per request (ms): what bounds the ratio once the cores are busy.
        **pinged.cpu_figures("ping_", *span(ping), len(ping)),
        **claimed.cpu_figures("claim_", began, sold_out_at, len(won)),
    }


def _seed(bench: Bench):
    engine = make_engine(bench.url)
    with Database(engine).unit_of_work() as session:
        campaign, batch = make_campaign(session, bench.now, quota=QUOTA, budget_fen=10**12)
        people = make_consumers(session, CONSUMERS, bench.now)
    engine.dispose()
    return campaign.id, batch.id, [token for _, token in people], 4000


def _totals(bench: Bench, campaign_id: int, batch_id: int) -> tuple[int, int]:
    engine = make_engine(bench.url)
    with engine.connect() as conn:
        issued = conn.execute(select(Campaign.issued_fen).where(Campaign.id == campaign_id))
        packs = conn.execute(select(Batch.packs_claimed).where(Batch.id == batch_id))
        totals = issued.scalar(), packs.scalar()
    engine.dispose()
    return totals


def _outcome(result) -> str:
    if result.status == 201:
        return "created"
    if result.status == 409:
        return result.body.split(b'"code":"', 1)[-1].split(b'"', 1)[0].decode() or "409"
    return str(result.status)


if __name__ == "__main__":
    main()
