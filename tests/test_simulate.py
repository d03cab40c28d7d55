"""The peak simulator end to end on both engines: a short drop played through real gunicorn
workers and the real scheduler on a simulated clock, judged by its own report."""

import signal

import pytest

from tests.support.simulation import simulate, simulated_env, start_scheduler

pytestmark = pytest.mark.live


def test_a_short_peak_delivers_on_time_sells_out_at_quota_and_reconciles(
    live_server, tmp_path, monkeypatch
):
    # Its own sandbox books (server, scheduler and simulator share them): the day's statement
    # holds this run's payments only, not those of the same test on the other engine.
    monkeypatch.setenv("HD_PAY_SANDBOX_DB", str(tmp_path / "sandbox.sqlite3"))
    sim_env = simulated_env(lead_s=30)  # room to boot and prepare on a loaded machine
    server = live_server(env=sim_env)
    scheduler = start_scheduler(server.database_url, sim_env, tmp_path / "scheduler.log")
    try:
        code, report, output = simulate(server, sim_env, tmp_path / "run")
    finally:
        scheduler.send_signal(signal.SIGTERM)
        scheduler.wait(timeout=30)
    print(output)
    assert code == 0, output
    assert report["server_5xx"] == 0 and report["reconciled"] is True
    claims = report["claims"]
    assert claims["issued"] == claims["quota"] == 5 and claims["sold_out_at"] is not None
    assert claims["refused"] and set(claims["refused"]) == {"sold_out"}
    assert report["orders_delivered"] >= 1 and report["on_time_rate"] == 1.0
    assert (tmp_path / "run" / "report" / "index.html").read_text().count("<svg") == 3
