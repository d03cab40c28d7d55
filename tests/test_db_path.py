"""One way to the database: ORM sessions and Core on the same engines, visible to SQL events;
lazy commits only where a write says so; the token cache; idle pooled connections replaced."""

import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, text
from sqlmodel import col, select

from service.auth.models import Role
from service.auth.service import authenticate, issue_token, revoke_token
from service.db import engine as engine_module
from service.db import lazy_commit, make_engine
from service.errors import Unauthenticated
from service.stores.models import Store
from service.tablet.feed import record_poll
from tests.support.deliveries import HOME, offered_job
from tests.test_auth import PRINCIPALS


@contextmanager
def statements_of(engine):
    """Every SQL statement the engine runs meanwhile (what SQL echo and cursor events see)."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def token_for(session, role: Role, clock):
    principal_id = session.exec(select(PRINCIPALS[role].id).order_by(PRINCIPALS[role].id)).first()
    token, secret = issue_token(
        session=session, role=role, principal_id=principal_id, now=clock.now()
    )
    session.commit()
    return token, secret


def test_a_live_token_is_read_from_the_database_once_then_from_the_process_cache(
    session, clock, db
):
    _, secret = token_for(session, Role.STORE, clock)
    with statements_of(db.engine) as seen:
        first = authenticate(session=session, secret=secret)
        assert authenticate(session=session, secret=secret) == first
    assert len([s for s in seen if "api_tokens" in s]) == 1
    with pytest.raises(Unauthenticated):  # unknown tokens are never cached, nor answered
        authenticate(session=session, secret=secret + "x")


def test_a_revoked_token_is_refused_at_once_by_the_process_that_revoked_it(session, clock):
    token, secret = token_for(session, Role.COURIER, clock)
    authenticate(session=session, secret=secret)
    assert revoke_token(session=session, token_id=token.id, now=clock.now())
    with pytest.raises(Unauthenticated):
        authenticate(session=session, secret=secret)
    assert not revoke_token(session=session, token_id=token.id, now=clock.now())


def test_a_courier_position_is_committed_lazily_and_an_order_move_is_not(
    client, session, clock, db
):
    job = offered_job(client, session, clock)
    point = {"lat": HOME["lat"], "lon": HOME["lon"], "accuracy_m": 8}
    with statements_of(db.engine) as seen:
        assert client.put("/v1/courier/location", json=point, headers=job["me"]).status_code == 204
    lazy = [s for s in seen if "synchronous_commit" in s]
    assert lazy == (["SET LOCAL synchronous_commit = off"] if db.dialect == "postgresql" else [])
    (offer,) = client.get("/v1/courier/offers", headers=job["me"]).json["deliveries"]
    with statements_of(db.engine) as seen:
        accepted = client.post(f"/v1/courier/offers/{offer['id']}/accept", headers=job["me"])
        assert accepted.status_code == 200
    assert not [s for s in seen if "synchronous_commit" in s]


def test_a_lazy_commit_holds_for_its_own_transaction_only(real_database):
    if real_database.dialect != "postgresql":
        pytest.skip("SQLite has no per-transaction durability setting")
    with real_database.engine.connect() as conn:
        with conn.begin():
            lazy_commit(conn)
            assert conn.execute(text("SHOW synchronous_commit")).scalar() == "off"
        with conn.begin():
            assert conn.execute(text("SHOW synchronous_commit")).scalar() == "on"


def test_a_poll_heartbeat_is_written_when_the_stored_one_is_over_30_s_old(session, clock):
    store_id = session.execute(select(Store.id).order_by(Store.id)).scalars().first()
    assert record_poll(session=session, store_id=store_id, now=clock.now()) == 1
    assert record_poll(session=session, store_id=store_id, now=clock.now()) == 0
    later = clock.now() + timedelta(seconds=31)
    assert record_poll(session=session, store_id=store_id, now=later) == 1
    polled = session.execute(select(Store.last_polled_at).where(col(Store.id) == store_id))
    assert polled.scalar() == later


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
