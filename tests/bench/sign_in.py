"""Benchmark: SMS sign-in through gunicorn (2 workers), argon2's cost, and the per-number code
limit under a burst.

Distinct numbers each ask for a code, then sign in with it from 64 clients: sign_ins_per_s and
the workers' CPU per sign-in. argon2_ms: one operator password check (argon2id, OWASP's 19 MiB,
2 iterations, 1 lane) in this process. The burst: BURST code requests for one number at once;
exactly one code may go out (burst_codes_sent must be 1). The per-address limits are off
(HD_RATELIMIT=0) so the load reaches what is measured. BENCH_SCALE=tiny for a smoke run.
"""

import json
import time
from collections import Counter

from service.auth.passwords import HASHER, hash_password
from tests.bench._common import TINY, Bench, emit, engines
from tests.bench._cpu import measured_load
from tests.bench._loadgen import json_call, run_load, span
from tests.support.live import start_server

NUMBERS, BURST, HASHES = (60, 200, 3) if TINY else (2_000, 1_000, 20)
CLIENTS = 64
BURST_PHONE = "+8613999990000"


def main() -> None:
    argon2_ms = _argon2_ms()
    for engine in engines():
        bench = Bench(engine)
        try:
            figures = run(bench)
        finally:
            bench.close()
        emit({**figures, "argon2_ms": argon2_ms})
        if figures["burst_codes_sent"] != 1:
            raise SystemExit(f"sign_in on {engine}: {figures['burst_codes_sent']} codes sent")


def run(bench: Bench) -> dict:
    sink = bench.workdir / "sms.jsonl"
    env = {"HD_RATELIMIT": "0", "HD_SMS_SINK_PATH": str(sink)}
    bench.server = start_server(bench.url, bench.workdir, workers=2, env=env)
    phones = [f"+86137{n:08d}" for n in range(NUMBERS)]
    run_load(
        bench.server.url,
        [json_call("POST", "/v1/auth/code", {"phone": p}) for p in phones],
        clients=CLIENTS,
    )
    codes = _codes(sink)
    calls = [json_call("POST", "/v1/auth/sign-in", {"phone": p, "code": codes[p]}) for p in phones]
    signed = measured_load(bench.server, calls, clients=CLIENTS)
    won = [r for r in signed.results if r.status == 201]
    begin, end = span(signed.results)
    cpu = signed.cpu_figures("sign_in_", begin, end, len(won))
    burst = run_load(
        bench.server.url,
        [json_call("POST", "/v1/auth/code", {"phone": BURST_PHONE})] * BURST,
        clients=CLIENTS,
    )
    return {
        "benchmark": "sign_in",
        "engine": bench.engine,
        "numbers": NUMBERS,
        "sign_ins": len(won),
        "sign_ins_per_s": round(len(won) / (end - begin), 1),
        "sign_in_cpu_ms": cpu["sign_in_worker_cpu_ms"],
        **({"sign_in_db_cpu_ms": cpu["sign_in_db_cpu_ms"]} if "sign_in_db_cpu_ms" in cpu else {}),
        "burst_requests": BURST,
        "burst_codes_sent": _sent(sink).count(BURST_PHONE),
        "burst_outcomes": dict(Counter(r.status for r in burst)),
    }


def _argon2_ms() -> float:
    stored = hash_password("correct horse battery staple")
    began = time.perf_counter()
    for _ in range(HASHES):
        HASHER.verify(stored, "correct horse battery staple")
    return round(1000 * (time.perf_counter() - began) / HASHES, 1)


def _sent(sink) -> list[str]:
    return [json.loads(line)["phone"] for line in sink.read_text().splitlines()]


def _codes(sink) -> dict[str, str]:
    return {m["phone"]: m["code"] for m in map(json.loads, sink.read_text().splitlines())}


if __name__ == "__main__":
    main()
