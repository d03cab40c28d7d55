"""Metrics for operators, one JSON log line per request, the request id on the work it caused."""

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from service.web.spec import ID
from tests.support.factories import CHANGSHA_POINT, make_campaign, make_consumers
from tests.test_campaign_admin import operator_headers

CLAIM_ROUTE = f"/v1/campaigns/<{ID}:campaign_id>/claim"  # the route label is the URL rule


def log_lines(captured: str) -> list[dict]:
    return [json.loads(line) for line in captured.splitlines() if line.startswith("{")]


def test_every_request_logs_one_json_line_with_its_echoed_request_id(client, capsys):
    answer = client.get("/v1/_ping", headers={"X-Request-ID": "abc-123"})
    assert answer.headers["X-Request-ID"] == "abc-123"
    fresh = client.get("/v1/_ping").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", fresh)
    lines = [e for e in log_lines(capsys.readouterr().err) if e.get("event") == "request"]
    assert [(e["request_id"], e["route"], e["status"]) for e in lines] == [
        ("abc-123", "/v1/_ping", 200),
        (fresh, "/v1/_ping", 200),
    ]
    assert {"duration_ms", "method", "role", "timestamp"} <= set(lines[0])


def test_log_lines_of_the_work_carry_the_request_id_and_never_the_token(
    client, session, clock, capsys
):
    headers = operator_headers(session, clock)
    client.get("/v1/campaigns/999999", headers={**headers, "X-Request-ID": "req-77"})
    text = capsys.readouterr().err
    assert headers["Authorization"].split()[1] not in text
    line = next(e for e in log_lines(text) if e.get("request_id") == "req-77")
    assert (line["status"], line["role"]) == (404, "operator")


def test_metrics_need_an_operator_and_count_claims_by_outcome(client, session, clock):
    campaign, _ = make_campaign(session, clock.now(), quota=1)
    (_, first), (_, second) = make_consumers(session, 2, clock.now())
    operator = operator_headers(session, clock)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {first}"}).status_code == 403

    def figures():  # the registry lives as long as the process: compare before and after
        text = client.get("/metrics", headers=operator).get_data(as_text=True)
        return (
            metric(text, "hd_claims_total", outcome="claimed"),
            metric(text, "hd_claims_total", outcome="sold_out"),
            metric(text, "hd_http_request_seconds_count", route=CLAIM_ROUTE),
        )

    before = figures()
    for token in (first, second):
        client.post(
            f"/v1/campaigns/{campaign.id}/claim",
            json=CHANGSHA_POINT,
            headers={"Authorization": f"Bearer {token}"},
        )
    after = figures()
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 2]


def metric(text: str, name: str, **labels) -> float:
    """The value of one sample of the exposition text (0 when absent)."""
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def cli(env: dict, *args: str) -> str:
    hourdelivery = Path(sys.executable).with_name("hourdelivery")
    done = subprocess.run(
        [str(hourdelivery), *args], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout


@pytest.mark.live
def test_metrics_add_up_both_workers_and_a_job_run_in_another_process(
    live_server, tmp_path, monkeypatch
):
    monkeypatch.setenv("HD_METRICS_DIR", str(tmp_path / "metrics"))
    server = live_server()
    env = {**os.environ, "DATABASE_URL": server.database_url}
    token = cli(env, "tokens", "create", "--role", "operator", "--operator", "1").strip()
    seen = set()
    for _ in range(200):  # fresh connections until both workers have answered
        seen.add(requests.get(server.url + "/healthz", timeout=5).json()["pid"])
        if len(seen) >= 2:
            break
    assert len(seen) >= 2
    for _ in range(30):
        requests.get(server.url + "/v1/_ping", timeout=5)
    cli(env, "jobs", "run", "expire_coupons")
    scraped = requests.get(
        server.url + "/metrics", timeout=5, headers={"Authorization": f"Bearer {token}"}
    )
    assert scraped.status_code == 200, scraped.text
    text = scraped.text
    assert metric(text, "hd_http_requests_total", route="/v1/_ping", status="200") == 30
    assert metric(text, "hd_http_requests_total", route="/healthz") >= len(seen)
    assert metric(text, "hd_job_runs_total", job="expire_coupons") == 1
    files = {f.name for f in (tmp_path / "metrics").iterdir()}
    assert all(any(str(pid) in name for name in files) for pid in seen)


def test_a_fresh_server_drops_dead_processes_metric_files_but_keeps_live_ones(
    tmp_path, monkeypatch
):
    from service.observability import multiproc

    monkeypatch.setenv("HD_METRICS_DIR", str(tmp_path))
    # prepare_metrics_dir sets PROMETHEUS_MULTIPROC_DIR too; monkeypatch must own it, or it
    # outlives this test and later in-process scrapes in this worker read this directory.
    monkeypatch.setenv(multiproc.ENV, str(tmp_path))
    dead = subprocess.Popen(["true"])
    dead.wait()
    (tmp_path / f"counter_{dead.pid}.db").write_bytes(b"")
    (tmp_path / f"counter_{os.getpid()}.db").write_bytes(b"")  # a scheduler started earlier
    multiproc.prepare_metrics_dir(fresh=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"counter_{os.getpid()}.db"]


def test_a_scrape_while_another_process_creates_its_metrics_file_still_answers(
    tmp_path, monkeypatch
):
    from prometheus_client.mmap_dict import MmapedDict

    from service.observability import metrics

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    path = tmp_path / "counter_424242.db"
    path.touch()  # as a new process's file is, until prometheus_client sizes it
    threading.Timer(0.005, lambda: MmapedDict(str(path)).close()).start()
    payload, _ = metrics.exposition()
    assert isinstance(payload, bytes)


def test_a_scrape_survives_an_empty_metrics_file_left_by_a_killed_process(tmp_path, monkeypatch):
    from service.observability import metrics

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / f"counter_{dead.pid}.db").touch()  # killed before it sized its file
    payload, _ = metrics.exposition()
    assert isinstance(payload, bytes)
    assert not (tmp_path / f"counter_{dead.pid}.db").exists()
