"""Bad input on every route yields a 4xx JSON error and writes nothing."""

import pytest
from sqlalchemy import func
from sqlmodel import SQLModel, select

import service.models as models


def total_rows(session) -> int:
    tables = [getattr(models, n) for n in models.__all__]
    return sum(
        session.exec(select(func.count()).select_from(t)).one()
        for t in tables
        if issubclass(t, SQLModel)
    )


BAD_REQUESTS = [
    ("GET", "/v1/stores/nearby", {}, None, 422, "validation_error", "lat"),
    ("GET", "/v1/stores/nearby?lat=abc&lon=112.9", {}, None, 422, "validation_error", "lat"),
    ("GET", "/v1/stores/nearby?lat=91&lon=112.9", {}, None, 422, "validation_error", "lat"),
    (
        "GET",
        "/v1/stores/nearby?lat=28.1&lon=112.9&radius_km=0",
        {},
        None,
        422,
        "validation_error",
        "radius_km",
    ),
    (
        "GET",
        "/v1/stores/nearby?lat=28.1&lon=112.9&radius_km=500",
        {},
        None,
        422,
        "validation_error",
        "radius_km",
    ),
    (
        "GET",
        "/v1/stores/nearby?lat=28.1&lon=112.9&limit=-1",
        {},
        None,
        422,
        "validation_error",
        "limit",
    ),
    (
        "GET",
        "/v1/stores/nearby?lat=28.1&lon=112.9&open=maybe",
        {},
        None,
        422,
        "validation_error",
        "open",
    ),
    ("POST", "/v1/stores/nearby", {}, None, 405, "method_not_allowed", None),
    ("GET", "/v1/no-such-route", {}, None, 404, "not_found", None),
    ("GET", "/v1/me", {}, None, 401, "unauthenticated", "Authorization"),
    (
        "GET",
        "/v1/me",
        {"Authorization": "Basic Zm9vOmJhcg=="},
        None,
        401,
        "unauthenticated",
        "Authorization",
    ),
    ("DELETE", "/v1/me", {}, None, 405, "method_not_allowed", None),
    (
        "POST",
        "/v1/_ping",
        {"Content-Type": "application/json"},
        "{not json",
        400,
        "malformed_json",
        None,
    ),
    (
        "POST",
        "/v1/_ping",
        {"Content-Type": "text/plain"},
        "hello",
        415,
        "unsupported_media_type",
        None,
    ),
]


@pytest.mark.parametrize(
    ("method", "url", "headers", "body", "status", "code", "field"), BAD_REQUESTS
)
def test_bad_request_gets_a_json_error_and_changes_nothing(
    client, session, method, url, headers, body, status, code, field
):
    before = total_rows(session)
    response = client.open(url, method=method, headers=headers, data=body)
    assert response.status_code == status
    assert response.is_json
    error = response.json["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]
    assert total_rows(session) == before


def test_an_unexpected_bug_is_a_json_500_not_an_html_page(app, client):
    @app.get("/v1/_boom")
    def boom():
        raise RuntimeError("boom")

    response = client.get("/v1/_boom")
    assert response.status_code == 500
    assert response.json["error"]["code"] == "internal"


def test_a_deadlock_or_lock_timeout_is_a_503_to_retry_not_a_500(app, client):
    from sqlalchemy.exc import OperationalError

    class Deadlock(Exception):
        sqlstate = "40P01"

    @app.get("/v1/_deadlock")
    def deadlock():
        raise OperationalError("UPDATE stores ...", {}, Deadlock("deadlock detected"))

    response = client.get("/v1/_deadlock")
    assert response.status_code == 503
    assert response.json["error"]["code"] == "try_again"
    assert response.headers["Retry-After"] == "1"


HUGE = 2**63


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", f"/v1/orders/{HUGE}", None),
        ("GET", f"/v1/orders?before={HUGE}", None),
        ("POST", f"/v1/campaigns/{HUGE}/claim", {"lat": 28.19, "lon": 112.97}),
        (
            "POST",
            "/v1/quote",
            {
                "items": [{"sku": "BAK-0001", "qty": 1}],
                "lat": 28.19,
                "lon": 112.97,
                "payment_method": "wechat",
                "coupon_id": HUGE,
            },
        ),
    ],
)
def test_ids_beyond_the_database_range_are_4xx_not_500(client, session, clock, method, url, body):
    from tests.support.factories import make_consumers

    ((_, token),) = make_consumers(session, 1, clock.now())
    session.commit()
    response = client.open(
        url, method=method, json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert 400 <= response.status_code < 500, response.json
    assert response.is_json
