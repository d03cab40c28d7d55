"""Benchmark: losing the database primary, an app host, and a planned switchover, each under
the mixed load of tests/ha (two app hosts behind nginx on a Patroni cluster, docs/ha.md).

One JSON line per scenario: recovery_s (the outage to the first order acknowledged after it),
acknowledged_lost (2xx answers not found in the database: must be 0), try_again_503,
server_5xx_other, and the order rate before and after. BENCH_SCALE=tiny: one primary loss only.
Skips (printing why) where Patroni or etcd cannot run; under CI=true that is a failure.
"""

import json
import os
import signal
import sys

from tests.bench._common import TINY, emit
from tests.ha import scenarios
from tests.ha.bed import started_bed, unavailable


def main() -> None:
    reason = unavailable()
    if reason is not None:
        if os.environ.get("CI") == "true":
            sys.exit(f"failover benchmark cannot run under CI: {reason}")
        print(
            json.dumps({"benchmark": "failover", "engine": "postgresql", "skipped": reason}),
            flush=True,
        )
        return
    with started_bed() as bed:
        if not TINY:
            emit({"benchmark": "failover", **scenarios.switchover(bed, "bench-switch").line()})
            outcome = scenarios.app_host_stop(bed, "bench-host", signal.SIGKILL)
            emit({"benchmark": "failover", **outcome.line()})
        emit({"benchmark": "failover", **scenarios.primary_kill(bed, "bench-kill").line()})


if __name__ == "__main__":
    main()
