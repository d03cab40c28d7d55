"""What the hot routes lean on: the token cache, autocommit sessions, pinging idle connections."""

import time

import pytest
from sqlalchemy import text
from sqlmodel import select

from service.auth import service as auth_service
from service.auth.models import Role
from service.auth.service import authenticate, issue_token, revoke_token
from service.db import engine as engine_module
from service.db import make_engine
from service.errors import Unauthenticated
from tests.test_auth import PRINCIPALS


def token_for(session, role: Role, clock):
    principal_id = session.exec(select(PRINCIPALS[role].id).order_by(PRINCIPALS[role].id)).first()
    token, secret = issue_token(session=session, role=role, principal_id=principal_id,
                                now=clock.now())  # fmt: skip
    session.commit()
    return token, secret


def test_a_live_token_is_read_from_the_database_once_then_from_the_process_cache(
    session, clock, monkeypatch
):
    _, secret = token_for(session, Role.STORE, clock)
    reads, read = [], auth_service.TOKEN_BY_HASH.first  # a HotStatement: no engine events
    monkeypatch.setattr(auth_service.TOKEN_BY_HASH, "first",
                        lambda *args: reads.append(args) or read(*args))  # fmt: skip
    first = authenticate(session=session, secret=secret)
    assert authenticate(session=session, secret=secret) == first
    assert len(reads) == 1
    with pytest.raises(Unauthenticated):  # unknown tokens are never cached, nor answered
        authenticate(session=session, secret=secret + "x")


def test_a_revoked_token_is_refused_at_once_by_the_process_that_revoked_it(session, clock):
    token, secret = token_for(session, Role.COURIER, clock)
    authenticate(session=session, secret=secret)
    assert revoke_token(session=session, token_id=token.id, now=clock.now())
    with pytest.raises(Unauthenticated):
        authenticate(session=session, secret=secret)
    assert not revoke_token(session=session, token_id=token.id, now=clock.now())


def test_autocommit_sessions_run_each_statement_outside_a_transaction(real_database):
    session = real_database.session(write=False, autocommit=True)
    try:
        session.execute(text("SELECT 1"))
        raw = session.connection().connection.dbapi_connection
        if real_database.dialect == "postgresql":
            assert raw.autocommit
        else:
            assert not raw.in_transaction  # no BEGIN was sent
        session.commit()
    finally:
        session.close()
    with real_database.unit_of_work(write=False) as session:  # a plain session still BEGINs
        session.execute(text("SELECT 1"))
        raw = session.connection().connection.dbapi_connection
        assert not raw.autocommit if real_database.dialect == "postgresql" else raw.in_transaction


def test_a_pooled_connection_killed_while_idle_is_replaced_before_use(real_database, monkeypatch):
    if real_database.dialect != "postgresql":
        pytest.skip("SQLite connections are files, not servers that drop them")
    monkeypatch.setattr(engine_module, "IDLE_PING_S", 0.05)
    engine = real_database.engine
    with engine.connect() as conn:
        victim = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    with make_engine(str(engine.url.render_as_string(hide_password=False))).connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": victim})
        admin.commit()
    time.sleep(0.1)
    with engine.connect() as conn:  # the pooled one is dead: pinged, replaced, no error
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != victim
