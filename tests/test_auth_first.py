"""Authorisation before validation: every protected route in the url map, walked generically."""

import re

from sqlmodel import select

from service.auth.models import Role
from service.auth.service import issue_token
from service.stores.models import Store

BAD_BODY = b'{"lat": "north", "unclosed'
BAD_QUERY = "?wait=-1&after=%00&status=NOPE&limit=x"
PLACEHOLDER = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def sample_path(rule: str) -> str:
    """The rule with each variable filled: ids 1, `any(...)` its first choice, text "x"."""

    def fill(match: re.Match) -> str:
        converter, args = match.group(1), match.group(2)
        if converter == "any":
            return args.split(",")[0].strip().strip("'\"")
        return "1" if converter in ("int", "float") else "x"

    return PLACEHOLDER.sub(fill, rule)


def protected_routes(app) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if getattr(view, "required_roles", None) is None:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, sample_path(rule.rule)))
    return routes


def test_every_protected_route_refuses_a_request_without_a_token_before_reading_its_input(
    client, app
):
    routes = protected_routes(app)
    assert ("PUT", "/v1/courier/location") in routes
    assert len(routes) >= 40
    wrong = []
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer hd_not-a-token"}):
            answer = client.open(
                path + BAD_QUERY,
                method=method,
                data=BAD_BODY,
                content_type="application/json",
                headers=headers,
            )
            if answer.status_code != 401 or answer.json["error"]["code"] != "unauthenticated":
                wrong.append((method, path, headers, answer.status_code))
    assert wrong == []


def test_the_courier_location_without_a_token_and_with_an_empty_body_is_401(client):
    answer = client.put("/v1/courier/location", data=b"", content_type="application/json")
    assert answer.status_code == 401
    assert client.put("/v1/courier/location").status_code == 401


def test_a_token_of_another_role_is_403_on_a_route_whatever_its_body(client, session, clock):
    store_id = session.exec(select(Store.id).order_by(Store.id)).first()
    _, secret = issue_token(
        session=session, role=Role.STORE, principal_id=store_id, now=clock.now()
    )
    session.commit()
    answer = client.put(
        "/v1/courier/location",
        data=BAD_BODY,
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert answer.status_code == 403
