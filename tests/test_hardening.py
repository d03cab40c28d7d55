"""Malformed requests are a clean 4xx before they cost anything, and write nothing.

One table per class: bodies (nesting, type, auth before body), values at the edges of their
types (calendar ends, NUL characters, ids out of range) and strict JSON types.
"""

import pytest
from sqlalchemy import select

from service.campaigns.models import Campaign
from tests.support.factories import city, make_campaign, make_consumers
from tests.test_bad_input import total_rows
from tests.test_campaign_admin import campaign_body, operator_headers

NESTED = "[" * 1024
HUGE = 2**63
YEAR_1 = "0001-01-01T00:00:00+14:00"
YEAR_9999 = "9999-12-31T23:59:59-12:00"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def world(session, clock):
    """Tokens of a platform operator and a consumer, and a campaign of the platform's."""
    made, _ = make_campaign(session, clock.now())
    ((_, consumer),) = make_consumers(session, 1, clock.now())
    session.commit()
    return {
        "operator": operator_headers(session, clock),
        "campaign": made.id,
        "consumer": {"Authorization": f"Bearer {consumer}"},
    }


def refused_without_writes(client, session, world, request, status) -> dict:
    """Send (method, url, token, body: text sent as is or JSON, headers); the error it got."""
    method, url, who, body, headers = request
    url = url.format(campaign=world["campaign"], huge=HUGE)
    headers = {**(world[who] if who else {}), **(headers or {})}
    payload = {"data": body} if isinstance(body, str) else {"json": body}
    before = total_rows(session)
    response = client.open(url, method=method, headers=headers, **payload)
    assert response.status_code == status, response.json
    assert total_rows(session) == before
    return response.json["error"]


# (method, url, token, body sent as is, headers, status, error code)
BODIES = [
    ("POST", "/v1/_ping", None, NESTED, JSON, 400, "malformed_json"),
    ("POST", "/v1/no-such-route", None, NESTED, JSON, 400, "malformed_json"),
    ("POST", "/v1/_ping", None, "[" * 40 + "]" * 40, JSON, 400, "malformed_json"),
    ("POST", "/v1/campaigns", None, NESTED, JSON, 401, "unauthenticated"),
    ("POST", "/v1/campaigns", None, "{not json", JSON, 401, "unauthenticated"),
    ("POST", "/v1/orders", None, "hello", {"Content-Type": "text/plain"}, 401, "unauthenticated"),
    ("PATCH", "/v1/campaigns/{campaign}", "operator", NESTED, JSON, 400, "malformed_json"),
    (
        "POST",
        "/v1/quote",
        "consumer",
        "hello",
        {"Content-Type": "text/plain"},
        415,
        "unsupported_media_type",
    ),
]


ITEMS = [{"sku": "BAK-0001", "qty": 1}]
POINT = {"lat": 28.195, "lon": 112.976}
# (method, url, token, JSON body, headers, status, error field)
VALUES = [
    ("PATCH", "/v1/campaigns/{campaign}", "operator", {"paused": "yes"}, None, 422, "paused"),
    ("PATCH", "/v1/campaigns/{campaign}", "operator", {"paused": 1}, None, 422, "paused"),
    (
        "PATCH",
        "/v1/campaigns/{campaign}",
        "operator",
        {"budget_fen": "100000"},
        None,
        422,
        "budget_fen",
    ),
    (
        "PATCH",
        "/v1/campaigns/{campaign}",
        "operator",
        {"budget_fen": True},
        None,
        422,
        "budget_fen",
    ),
    ("PATCH", "/v1/campaigns/{campaign}", "operator", {"ends_at": YEAR_1}, None, 422, "ends_at"),
    ("PATCH", "/v1/campaigns/{campaign}", "operator", {"ends_at": YEAR_9999}, None, 422, "ends_at"),
    ("PATCH", "/v1/campaigns/{campaign}", "operator", {"name": "a\x00b"}, None, 422, "name"),
    (
        "POST",
        "/v1/campaigns/{campaign}/templates",
        "operator",
        {"name": "t", "threshold_fen": 0, "discount_fen": 100, "quantity": True},
        None,
        422,
        "quantity",
    ),
    (
        "POST",
        "/v1/campaigns/{campaign}/batches",
        "operator",
        {"name": "b", "claim_starts_at": YEAR_1, "claim_ends_at": YEAR_9999, "pack_quota": 5},
        None,
        422,
        "claim_starts_at",
    ),
    (
        "POST",
        "/v1/quote",
        "consumer",
        {**POINT, "payment_method": "wechat", "items": [{"sku": "BAK-0001", "qty": "1"}]},
        None,
        422,
        "items.0.qty",
    ),
    (
        "POST",
        "/v1/quote",
        "consumer",
        {**POINT, "payment_method": "wechat", "items": [{"sku": "BAK-0001", "qty": True}]},
        None,
        422,
        "items.0.qty",
    ),
    (
        "POST",
        "/v1/orders",
        "consumer",
        {**POINT, "payment_method": "wechat", "items": ITEMS, "address": "岳麓区\x00"},
        {"Idempotency-Key": "k1"},
        422,
        "address",
    ),
    (
        "POST",
        "/v1/orders",
        "consumer",
        {**POINT, "payment_method": "wechat", "items": ITEMS, "address": "x"},
        {"Idempotency-Key": "k\x00"},
        422,
        "Idempotency-Key",
    ),
    ("GET", "/v1/admin/audit?target_type=camp%00aign", "operator", None, None, 422, "target_type"),
    ("GET", "/v1/campaigns/{huge}", "operator", None, None, 404, None),
    ("PATCH", "/v1/campaigns/{huge}", "operator", {"paused": True}, None, 404, None),
    ("PATCH", "/v1/campaigns/0", "operator", {"paused": True}, None, 404, None),
    ("POST", "/v1/campaigns/{huge}/batches", "operator", {}, None, 404, None),
    ("PATCH", "/v1/cities/{huge}/funding-caps", "operator", {}, None, 404, None),
    ("POST", "/v1/orders/{huge}/cancel", "consumer", {}, None, 404, None),
]


CASES = [(*row[:6], {"code": row[6]}) for row in BODIES] + [
    (*row[:6], {"field": row[6]}) for row in VALUES
]


@pytest.mark.parametrize(("method", "url", "who", "body", "headers", "status", "expected"), CASES)
def test_malformed_requests_are_refused_after_authentication_and_change_nothing(
    client, session, world, method, url, who, body, headers, status, expected
):
    request = (method, url, who, body, headers)
    error = refused_without_writes(client, session, world, request, status)
    assert {key: error[key] for key in expected} == expected
    campaign = session.get(Campaign, world["campaign"])
    session.refresh(campaign)
    assert not campaign.paused and campaign.budget_fen == 10**9


def test_a_new_campaign_at_the_ends_of_the_calendar_is_refused(client, session, clock, world):
    before = total_rows(session)
    for field, value in (("starts_at", YEAR_1), ("ends_at", YEAR_9999)):
        body = campaign_body(session, clock, **{field: value})
        response = client.post("/v1/campaigns", json=body, headers=world["operator"])
        assert (response.status_code, response.json["error"]["field"]) == (422, field)
    assert total_rows(session) == before
    changsha = city(session, "changsha").id
    assert (
        session.execute(
            select(Campaign).where(
                Campaign.city_id == changsha, Campaign.name == "长沙夜经济消费券"
            )
        ).first()
        is None
    )
