"""The real server: gunicorn with 2+ worker processes, on each engine."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import requests

pytestmark = pytest.mark.live


def test_live_server_really_runs_two_worker_processes(live_server):
    server = live_server()
    workers = set(server.worker_pids())
    assert len(workers) >= 2
    answered_by = {requests.get(server.url + "/healthz", timeout=5).json()["pid"] for _ in range(5)}
    assert answered_by <= workers


def test_live_server_serves_concurrent_clients_on_its_database(live_server, template):
    # The business clock stands at 14:00 in Changsha: on the real clock, a run across a store's
    # opening time (10:00 there is 02:00 UTC) answered `open_now` both ways, rightly.
    afternoon = datetime.now(UTC).replace(hour=6, minute=0, second=0, microsecond=0)
    server = live_server(env={"HD_FROZEN_TIME": afternoon.isoformat()})
    url = server.url + "/v1/stores/nearby?lat=28.195&lon=112.976&radius_km=3"
    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(lambda _: requests.get(url, timeout=10), range(64)))
    assert {r.status_code for r in responses} == {200}
    assert len({r.text for r in responses}) == 1  # same answer from every worker
    health = requests.get(server.url + "/healthz", timeout=5).json()
    assert health["database"] == template.engine
