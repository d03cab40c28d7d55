"""Sign-in limits under real concurrency: 2 gunicorn workers, concurrent clients, both engines."""

import json
import os
import secrets
import socket
import time

import pyotp
import pytest
import requests

from service.clock import SystemClock
from service.db import Database, make_engine
from service.seed.demo_sign_in import prepare_demo_sign_in
from tests.support.race import race

pytestmark = pytest.mark.live
PHONE = "+8613812345678"
# The workers' caller cache TTL (HD_CALLER_TTL_S) in the tests of the revocation bound: short,
# so that they wait out seconds, not the default 30.
CALLER_TTL_S = 3.0


def sink_env(tmp_path, **extra):
    path = tmp_path / f"sms-{secrets.token_hex(4)}.jsonl"
    return path, {"HD_SMS_SINK_PATH": str(path), **extra}


def codes_sent(path, phone=PHONE) -> list[str]:
    if not path.exists():
        return []
    sent = map(json.loads, path.read_text().splitlines())
    return [message["code"] for message in sent if message["phone"] == phone]


def demo_console(server):
    """The demo sign-in accounts (server started with SECRET_KEY=live-secret) and a console
    session of the demo operator."""
    with Database(make_engine(server.database_url)).unit_of_work() as session:
        demo = prepare_demo_sign_in(
            session=session, secret_key="live-secret", now=SystemClock().now()
        )
    console = requests.post(
        f"{server.url}/v1/auth/operator/sign-in",
        json={
            "username": demo.operator,
            "password": demo.password,
            "totp": pyotp.TOTP(demo.totp_secret).now(),
        },
    ).json()["access_token"]
    return demo, console


def test_twenty_concurrent_sign_ins_with_one_code_open_one_session(live_server, tmp_path):
    path, env = sink_env(tmp_path, HD_RATELIMIT="0")
    server = live_server(env=env)
    assert requests.post(f"{server.url}/v1/auth/code", json={"phone": PHONE}).status_code == 202
    (code,) = codes_sent(path)
    body = {"phone": "138 1234 5678", "code": code}
    answers = race(
        [{"method": "POST", "url": f"{server.url}/v1/auth/sign-in", "json": body}] * 20, clients=20
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [401] * 19


def test_a_burst_of_code_requests_for_one_number_sends_one_code(live_server, tmp_path):
    path, env = sink_env(tmp_path, HD_RATELIMIT="0")
    server = live_server(env=env)
    spellings = ["+86 138 1234 5678", "008613812345678", "13812345678", "１３８１２３４５６７８"]
    asks = [
        {"method": "POST", "url": f"{server.url}/v1/auth/code", "json": {"phone": spellings[n % 4]}}
        for n in range(60)
    ]
    answers = race(asks, clients=30)
    assert sorted(a.status_code for a in answers) == [202] + [429] * 59
    assert all(a.headers.get("Retry-After") for a in answers if a.status_code == 429)
    assert len(codes_sent(path)) == 1


def refused_by_every_worker_within_the_ttl(ask: dict, since: float) -> None:
    """Race `ask` at both workers until every answer is 401; a race begun more than the TTL
    (and 2 s of slack) after `since` must already be refused everywhere."""
    while True:
        began = time.monotonic()
        if {a.status_code for a in race([ask] * 16, clients=8)} == {401}:
            return
        assert began - since <= CALLER_TTL_S + 2
        time.sleep(0.5)


def redis_or_skip() -> None:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=2).close()
    except OSError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("no Redis on 127.0.0.1:6379 (CI runs one)")


def test_per_address_limits_hold_across_workers_with_redis(live_server, tmp_path):
    redis_or_skip()
    prefix = f"hdtest-{secrets.token_hex(4)}"
    path, env = sink_env(
        tmp_path, HD_RATELIMIT_STORAGE="redis://127.0.0.1:6379", HD_RATELIMIT_PREFIX=prefix
    )
    server = live_server(env=env)
    asks = [
        {
            "method": "POST",
            "url": f"{server.url}/v1/auth/code",
            "json": {"phone": f"1381234{n:04d}"},
        }
        for n in range(24)
    ]
    answers = race(asks, clients=12)
    statuses = [a.status_code for a in answers]
    assert statuses.count(202) == 5  # "5 per minute" per address, counted once for 2 workers
    refused = [a for a in answers if a.status_code == 429]
    assert {a.json()["error"]["code"] for a in refused} == {"rate_limited"}
    assert all(int(a.headers["Retry-After"]) >= 1 for a in refused)


def test_a_disabled_account_is_refused_by_every_worker_within_the_cache_bound(
    live_server, tmp_path
):
    path, env = sink_env(
        tmp_path, HD_RATELIMIT="0", SECRET_KEY="live-secret", HD_CALLER_TTL_S=str(CALLER_TTL_S)
    )
    server = live_server(env=env)
    _, console = demo_console(server)
    requests.post(f"{server.url}/v1/auth/code", json={"phone": PHONE})
    person = requests.post(
        f"{server.url}/v1/auth/sign-in", json={"phone": PHONE, "code": codes_sent(path)[-1]}
    ).json()
    me = {
        "method": "GET",
        "url": f"{server.url}/v1/me",
        "headers": {"Authorization": f"Bearer {person['access_token']}"},
    }
    assert {a.status_code for a in race([me] * 16, clients=8)} == {200}  # cached by each worker
    disabled_at = time.monotonic()
    off = requests.post(
        f"{server.url}/v1/admin/accounts/consumer/{person['principal_id']}/disable",
        headers={"Authorization": f"Bearer {console}"},
    )
    assert off.status_code == 200
    refused_by_every_worker_within_the_ttl(me, disabled_at)
    refresh = requests.post(
        f"{server.url}/v1/auth/refresh", json={"refresh_token": person["refresh_token"]}
    )
    assert refresh.status_code == 401


def test_an_unpaired_tablets_feed_is_refused_within_the_cache_bound(live_server, tmp_path):
    _, env = sink_env(
        tmp_path, HD_RATELIMIT="0", SECRET_KEY="live-secret", HD_CALLER_TTL_S=str(CALLER_TTL_S)
    )
    server = live_server(env=env)
    demo, console = demo_console(server)
    tablet = requests.post(f"{server.url}/v1/auth/pair", json={"code": demo.pairing_code}).json()
    feed = {
        "method": "GET",
        "url": f"{server.url}/v1/store/feed",
        "headers": {"Authorization": f"Bearer {tablet['access_token']}"},
    }
    assert {a.status_code for a in race([feed] * 16, clients=8)} == {200}
    store_id = tablet["principal_id"]
    unpaired_at = time.monotonic()
    ended = requests.post(
        f"{server.url}/v1/admin/stores/{store_id}/devices/{tablet['session_id']}/revoke",
        headers={"Authorization": f"Bearer {console}"},
    )
    assert ended.json()["sessions_ended"] == 1
    refused_by_every_worker_within_the_ttl(feed, unpaired_at)


def test_tabs_refreshing_one_token_at_once_all_stay_signed_in(live_server, tmp_path):
    path, env = sink_env(tmp_path, HD_RATELIMIT="0")
    server = live_server(env=env)
    requests.post(f"{server.url}/v1/auth/code", json={"phone": PHONE})
    tokens = requests.post(
        f"{server.url}/v1/auth/sign-in", json={"phone": PHONE, "code": codes_sent(path)[-1]}
    ).json()
    for _ in range(3):
        refresh = {
            "method": "POST",
            "url": f"{server.url}/v1/auth/refresh",
            "json": {"refresh_token": tokens["refresh_token"]},
        }
        tabs = race([refresh] * 4, clients=4)
        assert [tab.status_code for tab in tabs] == [200] * 4
        # The pair answered last is the session's; the one of them that refreshes goes on.
        answered = [tab.json() for tab in tabs]
        again = [
            requests.post(refresh["url"], json={"refresh_token": pair["refresh_token"]})
            for pair in answered
        ]
        assert sorted(a.status_code for a in again) == [200, 401, 401, 401]
        tokens = next(a.json() for a in again if a.status_code == 200)
    me = requests.get(
        f"{server.url}/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.status_code == 200
