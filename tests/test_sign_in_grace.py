"""A spent refresh token keeps working for a short grace (REFRESH_REUSE_GRACE): a lost refresh
answer or two tabs refreshing together keep the device signed in; after the grace, and on a
revoked or disabled session, a spent token is refused as before."""

import pyotp
import pytest
from sqlmodel import select

from service.auth.sessions import REFRESH_REUSE_GRACE
from service.auth.sms.sink import last_code
from service.stores.models import Store

PHONE = "+8613812345678"
GRACE_S = REFRESH_REUSE_GRACE.total_seconds()


pytestmark = pytest.mark.usefixtures("fresh_limits")


def signed_in(client) -> dict:
    assert client.post("/v1/auth/code", json={"phone": PHONE}).status_code == 202
    answer = client.post("/v1/auth/sign-in", json={"phone": PHONE, "code": last_code(PHONE)})
    assert answer.status_code == 201, answer.json
    return answer.json


def refresh(client, tokens: dict):
    return client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})


def refused(client) -> dict:
    """What an unknown refresh token is answered (a spent one must read the same)."""
    answer = refresh(client, {"refresh_token": "hdr_never-issued"})
    assert answer.status_code == 401
    return answer.json


def me(client, tokens: dict):
    return client.get("/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})


def console(client, demo) -> dict:
    body = {"username": demo.operator, "password": demo.password}
    body["totp"] = pyotp.TOTP(demo.totp_secret).now()
    answer = client.post("/v1/auth/operator/sign-in", json=body)
    assert answer.status_code == 201, answer.json
    return {"Authorization": f"Bearer {answer.json['access_token']}"}


def test_a_lost_refresh_answer_does_not_sign_the_device_out(client, clock):
    device = signed_in(client)
    clock.advance(minutes=14)
    assert refresh(client, device).status_code == 200  # the answer never reached the device
    clock.advance(seconds=20)
    again = refresh(client, device)
    assert again.status_code == 200, again.json
    assert me(client, again.json).status_code == 200
    clock.advance(minutes=14)
    assert refresh(client, again.json).status_code == 200


def test_two_refreshes_with_one_token_both_answer_and_the_last_pair_goes_on(client, clock):
    tabs = signed_in(client)
    first, second = refresh(client, tabs), refresh(client, tabs)
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json["refresh_token"] != second.json["refresh_token"]
    assert me(client, second.json).status_code == 200
    clock.advance(seconds=GRACE_S)
    assert refresh(client, second.json).status_code == 200


def test_a_token_spent_longer_than_the_grace_ago_is_refused(client, clock):
    device = signed_in(client)
    current = refresh(client, device).json
    clock.advance(seconds=GRACE_S)
    spent = refresh(client, device)
    assert (spent.status_code, spent.json) == (401, refused(client))
    assert refresh(client, current).status_code == 200  # the session itself goes on


def test_reusing_a_spent_token_within_the_grace_does_not_restart_it(client, clock):
    device = signed_in(client)
    refresh(client, device)
    clock.advance(seconds=GRACE_S * 0.75)
    assert refresh(client, device).status_code == 200
    clock.advance(seconds=GRACE_S * 0.5)
    assert refresh(client, device).status_code == 401


def test_only_the_last_spent_token_has_a_grace(client):
    device = signed_in(client)
    second = refresh(client, device).json
    assert refresh(client, second).status_code == 200
    assert refresh(client, device).status_code == 401


def test_a_signed_out_session_stays_signed_out_within_the_grace(client):
    device = signed_in(client)
    current = refresh(client, device).json
    out = client.post(
        "/v1/auth/sign-out", headers={"Authorization": f"Bearer {current['access_token']}"}
    )
    assert out.json["sessions_ended"] == 1
    assert refresh(client, device).json == refused(client)
    assert refresh(client, current).json == refused(client)


def test_a_disabled_account_is_not_revived_by_the_grace(client, demo):
    device = signed_in(client)
    current = refresh(client, device).json
    off = client.post(
        f"/v1/admin/accounts/consumer/{device['principal_id']}/disable",
        headers=console(client, demo),
    )
    assert off.status_code == 200, off.json
    assert refresh(client, device).status_code == 401
    assert refresh(client, current).status_code == 401


def test_an_unpaired_tablet_is_not_revived_by_the_grace(client, demo, session):
    headers = console(client, demo)
    store_id = session.exec(select(Store.id).where(Store.name == demo.store)).first()
    code = client.post(f"/v1/admin/stores/{store_id}/pairing-codes", headers=headers).json
    tablet = client.post("/v1/auth/pair", json={"code": code["code"]}).json
    refresh(client, tablet)
    ended = client.post(
        f"/v1/admin/stores/{store_id}/devices/{tablet['session_id']}/revoke", headers=headers
    )
    assert ended.json["sessions_ended"] == 1
    assert refresh(client, tablet).status_code == 401
