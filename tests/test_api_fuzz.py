"""Every operation of /openapi.json, fuzzed by schemathesis against a live server, per engine.

Generic over the document: a route added anywhere is fuzzed from its first day. Each operation
gets EXAMPLES generated requests (valid and invalid ones), each sent with the token of a random
role (or none); every answer must be below 500, have a documented status, and match the
documented schema and content type. Long-poll waits are capped through HD_MAX_POLL_WAIT_S.
The operations are dealt into SHARDS tests (every SHARDS-th from the document's order), each
with its own server, so that the suite's workers share them.
"""

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from service.auth.models import Role
from service.auth.sessions import issue_session
from service.clock import SystemClock
from service.db import Database, make_engine
from service.people.models import Consumer, Courier, Operator
from service.stores.models import Store

pytestmark = pytest.mark.live
EXAMPLES = 25
SHARDS = 4
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
PRINCIPALS = [
    (Role.CONSUMER, Consumer, None),
    (Role.STORE, Store, None),
    (Role.COURIER, Courier, None),
    (Role.OPERATOR, Operator, True),
    (Role.OPERATOR, Operator, False),
]

SIGN_IN = {
    Role.CONSUMER: "sms",
    Role.STORE: "pairing",
    Role.COURIER: "sms",
    Role.OPERATOR: "password_totp",
}


def role_headers(database_url: str) -> list[dict]:
    """Authorization headers: one session per role (platform and city operator), and none."""
    engine = make_engine(database_url)
    headers = [{}]
    with Database(engine).unit_of_work() as session:
        for role, model, platform in PRINCIPALS:
            query = select(model.id).order_by(model.id)
            if platform is not None:
                scope = model.city_id.is_(None) if platform else model.city_id.is_not(None)
                query = query.where(scope)
            principal = session.execute(query).scalars().first()
            # Sessions as people get them by signing in (issue 23), in place of API tokens.
            tokens = issue_session(
                session=session,
                role=role,
                principal_id=principal,
                method=SIGN_IN[role],
                now=SystemClock().now(),
            )
            headers.append({"Authorization": f"Bearer {tokens.access_token}"})
    engine.dispose()
    return headers


def fuzz(operation, base_url: str, headers: list[dict], http: requests.Session) -> None:
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases, auth=st.sampled_from(headers))
    def run(case, auth):
        response = case.call(base_url=base_url, session=http, headers=auth, timeout=15)
        case.validate_response(response, checks=CHECKS, headers=auth)

    run()


@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_operation_answers_as_documented_to_every_role(live_server, shard):
    server = live_server(env={"HD_MAX_POLL_WAIT_S": "0.5"})
    headers = role_headers(server.database_url)
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    with requests.Session() as http:
        for operation in operations[shard::SHARDS]:
            fuzz(operation, server.url, headers, http)
