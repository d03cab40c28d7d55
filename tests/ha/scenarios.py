"""The three outages under the mixed load, shared by tests/ha and tests/bench/failover.py: each
runs the load, causes its outage, waits for orders to flow again and returns the figures."""

import signal
import time
from dataclasses import dataclass

from sqlalchemy import create_engine

from tests.ha import checks, harness
from tests.ha.load import Load

BEFORE_S, AFTER_S = 4.0, 4.0  # load before the outage, and after orders flow again
RECOVERY_LIMIT_S = 90.0
DRAIN_S = 4.0  # nginx's old workers finish their requests (a tablet's poll holds 3 s)


@dataclass
class Outcome:
    scenario: str
    recovery_s: float
    load: Load
    broken: dict
    report_broken: list
    counts: dict
    rate_before: float
    rate_after: float

    def line(self) -> dict:
        """The benchmark's JSON line."""
        ledger = self.load.ledger
        lost = sum(len(v) for k, v in self.broken.items() if k.startswith("acknowledged"))
        return {
            "engine": "postgresql",
            "scenario": self.scenario,
            "recovery_s": round(self.recovery_s, 1),
            "acknowledged_lost": lost,
            "try_again_503": ledger.try_again,
            "server_5xx_other": len(ledger.other_5xx),
            "orders_per_s_before": round(self.rate_before, 1),
            "orders_per_s_after": round(self.rate_after, 1),
            "acknowledged": {
                "orders": len(ledger.orders),
                "paid": len(ledger.paid),
                "claims": len(ledger.claims),
                "cancels": len(ledger.cancels),
                "delivered": len(ledger.delivered),
            },
            "counts": self.counts,
            "refusals": dict(ledger.refusals.most_common(8)),
        }


def primary_kill(bed, tag: str) -> Outcome:
    """Lose the primary node: its Patroni, postmaster and backends SIGKILLed together (once the
    standby is in sync: the promise is for a cluster whose standby is up)."""
    harness.cluster.wait_for_sync_standby(bed.layout)
    return _run(
        bed,
        "primary_kill",
        tag,
        lambda: harness.cluster.kill_node(bed.layout, harness.cluster.leader(bed.layout)),
    )


def switchover(bed, tag: str) -> Outcome:
    """A planned switchover (patronictl) to the synchronous standby."""
    return _run(bed, "switchover", tag, lambda: harness.cluster.switchover(bed.layout))


def app_host_stop(bed, tag: str, how: signal.Signals) -> Outcome:
    """Stop app host 1 (SIGTERM: drained from nginx first, then stopped gracefully; SIGKILL:
    lost at once); start it again and route to it afterwards."""
    host, others = bed.hosts[0], [h.port for h in bed.hosts[1:]]

    def stop() -> None:
        if how == signal.SIGTERM:  # a planned stop: nginx first, then the host's last requests
            bed.proxy.route_to(others)
            time.sleep(DRAIN_S)
        host.stop(how)

    outcome = _run(bed, "app_host_stop", tag, stop)
    host.start()
    bed.proxy.route_to([h.port for h in bed.hosts])
    return outcome


def _run(bed, scenario: str, tag: str, outage) -> Outcome:
    load = Load(bed.proxy.url, bed.world, tag, bed.proxy.session)
    load.start()
    try:
        time.sleep(BEFORE_S)
        began = time.monotonic()
        rate_before = _rate(load, began - BEFORE_S, began)
        outage()
        recovered = _first_order_after(load, time.monotonic())
        time.sleep(AFTER_S)
        rate_after = _rate(load, recovered, time.monotonic())
    finally:
        load.finish()
    engine = create_engine(bed.url)
    try:
        checks.settle_refunds(engine)  # the cancels' refunds settle through the provider
        broken = checks.broken(engine, load.ledger)
        counts = checks.counts(engine)
    finally:
        engine.dispose()
    report = checks.report_broken(
        bed.proxy.session(), bed.proxy.url, bed.world["operator"], bed.world["campaign_id"]
    )
    return Outcome(
        scenario, recovered - began, load, broken, report, counts, rate_before, rate_after
    )


def _first_order_after(load: Load, done: float) -> float:
    """When the first order sent after the outage was done (the primary killed, the switchover
    or the host stop finished) came back acknowledged: an order sent then can only commit on
    the database and host that serve now."""
    deadline = done + RECOVERY_LIMIT_S
    while time.monotonic() < deadline:
        with load.ledger.lock:
            acked = [
                t
                for t, sent in zip(load.ledger.order_times, load.ledger.order_sent, strict=True)
                if sent > done
            ]
        if acked:
            return min(acked)
        time.sleep(0.2)
    raise TimeoutError(
        f"no order acknowledged within {RECOVERY_LIMIT_S:.0f} s of the outage: "
        f"{dict(load.ledger.statuses)} {dict(load.ledger.refusals)}"
    )


def _rate(load: Load, start: float, end: float) -> float:
    times = [t for t in load.ledger.order_times if start <= t <= end]
    return len(times) / max(end - start, 0.001)
