"""Bearer tokens: shown once, stored hashed, bound to one principal and role."""

from sqlmodel import select

from service.auth.models import ApiToken, Role
from service.auth.service import hash_token, issue_token
from service.people.models import Consumer, Courier, Operator
from service.stores.models import Store

PRINCIPALS = {
    Role.CONSUMER: Consumer,
    Role.STORE: Store,
    Role.COURIER: Courier,
    Role.OPERATOR: Operator,
}


def token_for(session, role: Role, clock) -> tuple[int, str]:
    principal = session.exec(select(PRINCIPALS[role]).order_by(PRINCIPALS[role].id)).first()
    _, secret = issue_token(session=session, role=role, principal_id=principal.id, now=clock.now())
    session.commit()
    return principal.id, secret


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def test_me_tells_each_role_apart(client, session, clock):
    for role in Role:
        principal_id, secret = token_for(session, role, clock)
        body = client.get("/v1/me", headers=bearer(secret)).json
        assert (body["role"], body["principal_id"]) == (role.value, principal_id)


def test_tokens_are_never_stored_in_clear(session, clock):
    _, secret = token_for(session, Role.CONSUMER, clock)
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(secret))).one()
    stored = " ".join(str(v) for v in row.model_dump().values())
    assert secret not in stored
    assert len(secret) >= 43  # 32 random bytes, url-safe base64


def test_me_refuses_missing_bad_and_revoked_tokens(client, session, clock):
    _, secret = token_for(session, Role.COURIER, clock)
    assert client.get("/v1/me").status_code == 401
    refused = client.get("/v1/me", headers=bearer(secret + "x"))
    assert refused.status_code == 401
    assert refused.json["error"]["code"] == "unauthenticated"
    assert client.get("/v1/me", headers={"Authorization": secret}).status_code == 401
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(secret))).one()
    row.revoked_at = clock.now()
    session.commit()
    assert client.get("/v1/me", headers=bearer(secret)).status_code == 401


def test_cli_prints_a_working_store_token(app, client, session):
    store_id = session.exec(select(Store.id).order_by(Store.id)).first()
    args = ["tokens", "create", "--role", "store", "--store", str(store_id)]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    body = client.get("/v1/me", headers=bearer(secret)).json
    assert (body["role"], body["principal_id"]) == ("store", store_id)


def test_cli_refuses_a_token_for_a_missing_principal(app):
    args = ["tokens", "create", "--role", "courier", "--courier", "999999"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0
    assert "no courier with id 999999" in result.output
