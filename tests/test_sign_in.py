"""Signing in by mobile number and SMS code: one account per number, codes that expire, are
used once and allow five tries per number; sessions that expire, refresh and end."""

import pytest
from sqlmodel import select

from service.auth.limits import limiter
from service.auth.models import PhoneCode, Role
from service.auth.service import issue_token
from service.auth.sessions import REFRESH_REUSE_GRACE
from service.auth.sms.sink import last_code
from service.people.models import Consumer
from tests.support.factories import CHANGSHA_POINT, make_campaign

PHONE = "+86 138 1234 5678"
E164 = "+8613812345678"


pytestmark = pytest.mark.usefixtures("fresh_limits")


def ask_code(client, phone=PHONE):
    return client.post("/v1/auth/code", json={"phone": phone})


def sign_in(client, phone=PHONE, code=None, role="consumer"):
    code = code if code is not None else last_code(E164)
    return client.post("/v1/auth/sign-in", json={"phone": phone, "code": code, "role": role})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_spellings_of_one_number_are_one_account(client, session, clock):
    ids = set()
    for spelling in ("+86 138 1234 5678", "008613812345678", "１３８１２３４５６７８"):
        assert ask_code(client, spelling).status_code == 202
        answer = sign_in(client, spelling)
        assert answer.status_code == 201, answer.json
        ids.add(answer.json["principal_id"])
        clock.advance(minutes=2)
    assert len(ids) == 1
    person = session.exec(select(Consumer).where(Consumer.phone == E164)).one()
    assert person.phone_verified_at is not None


def test_a_session_answers_me_and_shows_the_person_his_own_number(client):
    ask_code(client)
    tokens = sign_in(client).json
    me = client.get("/v1/me", headers=bearer(tokens["access_token"])).json
    assert (me["role"], me["phone"], me["signed_in_by"]) == ("consumer", E164, "sms")


def test_the_answer_to_a_code_request_is_the_same_for_known_and_unknown_numbers(client):
    known = ask_code(client, "13800000001")  # a demo consumer
    unknown = ask_code(client, "13812340000")
    assert known.status_code == unknown.status_code == 202
    assert known.json == unknown.json


def test_a_second_code_within_the_minute_is_refused_with_retry_after(client, clock):
    assert ask_code(client).status_code == 202
    again = ask_code(client)
    assert again.status_code == 429
    assert again.json["error"]["code"] == "rate_limited"
    assert 1 <= int(again.headers["Retry-After"]) <= 60
    clock.advance(seconds=61)
    assert ask_code(client).status_code == 202


def test_ten_codes_a_day_per_number(client, clock, app):
    sent = 0
    for _ in range(12):
        with app.app_context():
            limiter.reset()  # the per-address limit is not what this test is about
        sent += ask_code(client).status_code == 202
        clock.advance(minutes=2)
    assert sent == 10
    clock.advance(hours=24)
    assert ask_code(client).status_code == 202


def test_an_expired_code_is_refused(client, clock):
    ask_code(client)
    clock.advance(minutes=5, seconds=1)
    refused = sign_in(client)
    assert refused.status_code == 401
    assert refused.json["error"]["code"] == "code_refused"


def test_a_used_code_is_refused(client):
    ask_code(client)
    code = last_code(E164)
    assert sign_in(client, code=code).status_code == 201
    assert sign_in(client, code=code).status_code == 401


def test_the_sixth_try_is_refused_even_with_the_right_code(client, session, clock):
    ask_code(client)
    code = last_code(E164)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert sign_in(client, code=wrong).status_code == 401
    assert sign_in(client, code=code).status_code == 401
    # A new code does not buy new tries: they are counted per number.
    clock.advance(minutes=2)
    ask_code(client)
    assert sign_in(client).status_code == 401
    assert session.get(PhoneCode, E164).failed_tries >= 5


def test_not_a_mobile_number_is_invalid(client):
    answer = ask_code(client, "12345")
    assert answer.status_code == 422
    assert answer.json["error"]["field"] == "phone"


def test_only_registered_couriers_sign_in_as_couriers(client):
    ask_code(client)
    refused = sign_in(client, role="courier")
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "not_a_courier"
    ask_code(client, "13900000001")  # a demo courier
    answer = sign_in(client, "13900000001", last_code("+8613900000001"), role="courier")
    assert answer.status_code == 201
    assert answer.json["role"] == "courier"


def test_access_tokens_expire_and_refresh_rotates_both_tokens(client, clock):
    ask_code(client)
    first = sign_in(client).json
    clock.advance(minutes=16)
    expired = client.get("/v1/me", headers=bearer(first["access_token"]))
    assert expired.status_code == 401
    assert expired.json["error"]["code"] in ("token_expired", "unauthenticated")
    second = client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert client.get("/v1/me", headers=bearer(second.json["access_token"])).status_code == 200
    # A spent token works again only within its grace.
    clock.advance(seconds=REFRESH_REUSE_GRACE.total_seconds())
    spent = client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert spent.status_code == 401


def test_signing_out_ends_the_session_and_everywhere_ends_them_all(client, clock):
    sessions = []
    for _ in range(3):
        ask_code(client)
        sessions.append(sign_in(client).json)
        clock.advance(minutes=2)
    out = client.post("/v1/auth/sign-out", headers=bearer(sessions[0]["access_token"]))
    assert out.json["sessions_ended"] == 1
    assert client.get("/v1/me", headers=bearer(sessions[0]["access_token"])).status_code == 401
    assert client.get("/v1/me", headers=bearer(sessions[1]["access_token"])).status_code == 200
    everywhere = client.post(
        "/v1/auth/sign-out-everywhere", headers=bearer(sessions[1]["access_token"])
    )
    assert everywhere.json["sessions_ended"] == 2
    for tokens in sessions:
        assert client.get("/v1/me", headers=bearer(tokens["access_token"])).status_code == 401


def test_codes_and_session_tokens_are_stored_only_as_hashes(client, session, db):
    ask_code(client)
    code = last_code(E164)
    tokens = sign_in(client, code=code).json
    rows = session.exec(select(PhoneCode)).all()
    dump = " ".join(str(v) for row in rows for v in row.model_dump().values())
    assert code not in dump
    from service.auth.models import AuthSession

    row = session.get(AuthSession, tokens["session_id"])
    stored = " ".join(str(v) for v in row.model_dump().values())
    assert tokens["access_token"] not in stored and tokens["refresh_token"] not in stored


def test_a_number_signed_in_twice_is_one_account_claiming_one_pack_per_batch(
    client, session, clock
):
    campaign, _ = make_campaign(session, clock.now())
    session.commit()
    outcomes = []
    for spelling in ("+86 138 1234 5678", "0086 138 1234 5678"):
        ask_code(client, spelling)
        token = sign_in(client, spelling).json["access_token"]
        claim = client.post(
            f"/v1/campaigns/{campaign.id}/claim", json=CHANGSHA_POINT, headers=bearer(token)
        )
        outcomes.append(claim.status_code)
        clock.advance(minutes=2)
    assert outcomes[0] == 201
    assert outcomes[1] == 409


def test_a_legacy_token_of_an_unverified_consumer_cannot_claim(client, session, clock):
    campaign, _ = make_campaign(session, clock.now())
    person = Consumer(name="旧账户", phone="legacy-0001", created_at=clock.now())
    session.add(person)
    session.flush()
    _, secret = issue_token(
        session=session, role=Role.CONSUMER, principal_id=person.id, now=clock.now()
    )
    session.commit()
    refused = client.post(
        f"/v1/campaigns/{campaign.id}/claim", json=CHANGSHA_POINT, headers=bearer(secret)
    )
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "phone_not_verified"
