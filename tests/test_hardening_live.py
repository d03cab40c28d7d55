"""Through a real gunicorn: chunked bodies get the same checks as bodies with a length, and
requests beyond the server's limits are its own 4xx, never a 5xx."""

import json

import pytest
import requests

from service.clock import SystemClock
from service.db import Database, make_engine
from tests.support.factories import make_consumers

pytestmark = pytest.mark.live
NESTED = b"[" * 1024


def chunks(data: bytes, size: int = 4096):
    """A generator body: requests sends it with Transfer-Encoding: chunked, no length."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def consumer_token(database_url: str) -> str:
    engine = make_engine(database_url)
    with Database(engine).unit_of_work() as session:
        ((_, token),) = make_consumers(session, 1, SystemClock().now())
    engine.dispose()
    return token


def test_chunked_bodies_pass_the_same_checks_as_bodies_with_a_length(live_server):
    server = live_server(workers=1)
    token = {"Authorization": f"Bearer {consumer_token(server.database_url)}"}
    quote = {
        "lat": 28.195,
        "lon": 112.976,
        "payment_method": "wechat",
        "items": [{"sku": "BAK-0001", "qty": "1"}],
    }
    cases = [  # (path, headers, body, status, code)
        ("/v1/_ping", {"Content-Type": "text/plain"}, b"hello", 415, "unsupported_media_type"),
        ("/v1/_ping", {"Content-Type": "application/json"}, b"{nope", 400, "malformed_json"),
        ("/v1/_ping", {"Content-Type": "application/json"}, NESTED, 400, "malformed_json"),
        (
            "/v1/_ping",
            {"Content-Type": "application/json"},
            json.dumps(["x" * 1000] * 2100).encode(),
            413,
            "payload_too_large",
        ),
        ("/v1/campaigns", {"Content-Type": "application/json"}, NESTED, 401, "unauthenticated"),
        (
            "/v1/quote",
            {"Content-Type": "application/json", **token},
            json.dumps(quote).encode(),
            422,
            "validation_error",
        ),
    ]
    for path, headers, body, status, code in cases:
        response = requests.post(server.url + path, data=chunks(body), headers=headers, timeout=30)
        assert "Content-Length" not in response.request.headers
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), path


def test_urls_and_headers_beyond_the_server_limits_are_4xx(live_server):
    server = live_server(workers=1)
    too_long = [
        requests.get(
            server.url + "/v1/stores/nearby?lat=28.1&lon=112.9&x=" + "9" * 9000, timeout=10
        ),
        requests.get(server.url + "/v1/me", headers={"X-Big": "a" * 9000}, timeout=10),
        requests.get(
            server.url + "/v1/me", timeout=10, headers={f"X-H{n}": "1" for n in range(120)}
        ),
    ]
    # gunicorn's own refusals, before the app: its plain-text page (nginx refuses first in
    # production, see deploy/).
    assert [r.status_code for r in too_long] == [414, 431, 431]
