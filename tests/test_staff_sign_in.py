"""Operators sign in with password and TOTP (enrolled at first sign-in); tablets pair with a
code; the console manages accounts with password + TOTP sessions only."""

import pyotp
import pytest
from sqlmodel import select

from service.audit.models import AuditEvent
from service.auth.limits import limiter
from service.auth.sms.sink import last_code
from service.people.models import Courier, Operator
from service.stores.models import Store
from tests.support.deliveries import make_operator
from tests.support.tablets import store_token

pytestmark = pytest.mark.usefixtures("fresh_limits")


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def operator_sign_in(client, username, password, totp=None):
    body = {"username": username, "password": password}
    if totp is not None:
        body["totp"] = totp
    return client.post("/v1/auth/operator/sign-in", json=body)


def console_session(client, demo) -> str:
    answer = operator_sign_in(
        client, demo.operator, demo.password, pyotp.TOTP(demo.totp_secret).now()
    )
    assert answer.status_code == 201, answer.json
    return answer.json["access_token"]


def test_an_operator_signs_in_with_password_and_totp(client, demo):
    token = console_session(client, demo)
    me = client.get("/v1/me", headers=bearer(token)).json
    assert (me["role"], me["name"], me["signed_in_by"]) == (
        "operator",
        demo.operator,
        "password_totp",
    )


def test_an_operator_without_totp_is_refused(client, demo):
    answer = operator_sign_in(client, demo.operator, demo.password)
    assert answer.status_code == 401
    assert answer.json["error"]["code"] == "totp_required"
    wrong = operator_sign_in(client, demo.operator, demo.password, "000000")
    assert wrong.status_code == 401


def test_a_used_totp_step_is_refused(client, demo):
    code = pyotp.TOTP(demo.totp_secret).now()
    assert operator_sign_in(client, demo.operator, demo.password, code).status_code == 201
    again = operator_sign_in(client, demo.operator, demo.password, code)
    assert again.status_code == 401
    assert again.json["error"]["code"] == "totp_refused"


def test_unknown_user_and_wrong_password_answer_alike(client, demo):
    unknown = operator_sign_in(client, "nobody", "whatever")
    wrong = operator_sign_in(client, demo.operator, "whatever")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json == wrong.json


def test_repeated_failures_lock_the_account(client, demo, app):
    for _ in range(5):
        operator_sign_in(client, demo.operator, "wrong")
    with app.app_context():
        limiter.reset()
    locked = operator_sign_in(
        client, demo.operator, demo.password, pyotp.TOTP(demo.totp_secret).now()
    )
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 60


def test_a_new_operator_enrols_totp_at_first_sign_in(client, demo, session):
    console = console_session(client, demo)
    made = client.post(
        "/v1/admin/operators", json={"name": "新运营", "city_id": None}, headers=bearer(console)
    )
    assert made.status_code == 201, made.json
    password = made.json["password"]
    enrol = operator_sign_in(client, "新运营", password)
    assert enrol.status_code == 200
    assert enrol.json["otpauth_uri"].startswith("otpauth://totp/")
    assert enrol.json["qr_svg"].startswith("data:image/svg+xml")
    secret = enrol.json["secret"]
    row = session.exec(select(Operator).where(Operator.name == "新运营")).one()
    assert secret not in (row.totp_secret or "") and password not in row.password_hash
    signed = operator_sign_in(client, "新运营", password, pyotp.TOTP(secret).now())
    assert signed.status_code == 201


def test_the_console_refuses_api_tokens(client, session, clock):
    token = make_operator(session, clock.now())
    session.commit()
    refused = client.get("/v1/admin/accounts?role=courier", headers=bearer(token))
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "totp_session_required"


def test_a_paired_tablet_holds_a_session_for_its_store_only(client, demo, session):
    console = console_session(client, demo)
    store_id = session.exec(select(Store.id).where(Store.name == demo.store)).first()
    issued = client.post(f"/v1/admin/stores/{store_id}/pairing-codes", headers=bearer(console))
    assert issued.status_code == 201
    paired = client.post(
        "/v1/auth/pair", json={"code": issued.json["code"].lower(), "device_name": "收银台"}
    )
    assert paired.status_code == 201
    tablet = bearer(paired.json["access_token"])
    assert client.get("/v1/store/state", headers=tablet).json["id"] == store_id
    assert client.get("/v1/me", headers=tablet).json["principal_id"] == store_id
    reused = client.post("/v1/auth/pair", json={"code": issued.json["code"]})
    assert reused.status_code == 401
    devices = client.get(f"/v1/admin/stores/{store_id}/devices", headers=bearer(console)).json
    assert [d["label"] for d in devices["devices"]] == ["收银台"]
    sid = devices["devices"][0]["session_id"]
    ended = client.post(
        f"/v1/admin/stores/{store_id}/devices/{sid}/revoke", headers=bearer(console)
    )
    assert ended.json["sessions_ended"] == 1
    assert client.get("/v1/store/state", headers=tablet).status_code == 401


def test_an_expired_pairing_code_is_refused(client, demo, session, clock):
    console = console_session(client, demo)
    store_id = session.exec(select(Store.id).where(Store.name == demo.store)).first()
    code = client.post(f"/v1/admin/stores/{store_id}/pairing-codes", headers=bearer(console))
    clock.advance(minutes=10, seconds=1)
    assert client.post("/v1/auth/pair", json={"code": code.json["code"]}).status_code == 401


def test_a_registered_courier_signs_in_and_a_disabled_one_is_refused(client, demo, session):
    console = console_session(client, demo)
    city_id = session.exec(select(Store.city_id).where(Store.name == demo.store)).first()
    made = client.post(
        "/v1/admin/couriers",
        json={"name": "新骑手", "phone": "137 0000 1111", "city_id": city_id},
        headers=bearer(console),
    )
    assert made.status_code == 201, made.json
    assert made.json["phone"] == "137****1111"
    client.post("/v1/auth/code", json={"phone": "13700001111"})
    signed = client.post(
        "/v1/auth/sign-in",
        json={"phone": "13700001111", "role": "courier", "code": last_code("+8613700001111")},
    )
    assert signed.status_code == 201
    courier_id = made.json["id"]
    off = client.post(f"/v1/admin/accounts/courier/{courier_id}/disable", headers=bearer(console))
    assert off.status_code == 200
    assert client.get("/v1/me", headers=bearer(signed.json["access_token"])).status_code == 401
    assert session.get(Courier, courier_id).disabled_at is not None
    trail = client.get("/v1/admin/accounts/audit", headers=bearer(console)).json["events"]
    assert [e["action"] for e in trail[:2]] == ["account.disable", "account.create"]
    assert session.exec(select(AuditEvent).where(AuditEvent.target_type == "account")).first()


def test_the_stores_manager_account_pairs_a_tablet_but_a_tablet_cannot(client, session, clock):
    store_id = session.exec(select(Store.id).order_by(Store.id)).first()
    manager = store_token(session, store_id, clock.now())
    session.commit()
    issued = client.post("/v1/auth/pairing-codes", headers=bearer(manager))
    assert issued.status_code == 201
    paired = client.post("/v1/auth/pair", json={"code": issued.json["code"]}).json
    assert paired["principal_id"] == store_id
    again = client.post("/v1/auth/pairing-codes", headers=bearer(paired["access_token"]))
    assert again.status_code == 403
