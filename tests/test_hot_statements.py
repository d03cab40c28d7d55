"""Hot statements on Core connections: the same rows and types as SQLAlchemy, errors wrapped,
and a Core unit of work that commits or rolls back once (service.db.hot, Database.core)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, exc, select, text, update
from sqlmodel import col

from service.db import Database
from service.db.hot import HotStatement
from service.deliveries.courier import ADD_TRAIL
from service.people.models import Courier
from service.stores.models import Store
from service.tablet.cursor import make_cursor
from service.tablet.feed import record_poll
from tests.support.deliveries import HOME, offered_job
from tests.support.tablets import store_token

STORE_ROW = (
    select(Store.id, Store.name, Store.categories, Store.opening_hours, Store.last_polled_at)
    .where(col(Store.id) <= bindparam("up_to"))
    .order_by(Store.id)
)
POLLED = update(Store).where(col(Store.id) == bindparam("store")).values(
    last_polled_at=bindparam("at")).returning(col(Store.id), col(Store.last_polled_at))  # fmt: skip
AT = datetime(2026, 11, 25, 12, 30, 15, 250_000, tzinfo=UTC)


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_a_hot_statement_reads_the_rows_and_types_sqlalchemy_reads(session, binary):
    conn = session.connection()
    store_id = session.execute(select(Store.id).order_by(Store.id)).scalars().first()
    HotStatement(POLLED).all(conn, {"store": store_id, "at": AT})
    hot = HotStatement(STORE_ROW, binary=binary).all(conn, {"up_to": store_id + 3})
    plain = conn.execute(STORE_ROW, {"up_to": store_id + 3}).all()
    assert [tuple(row) for row in hot] == [tuple(row) for row in plain]
    assert hot[0].last_polled_at == AT and hot[0].last_polled_at.tzinfo is not None
    assert isinstance(hot[0].opening_hours, dict) and isinstance(hot[0].categories, list)


def test_a_hot_statement_binds_through_the_column_types(session):
    conn = session.connection()
    with pytest.raises(ValueError, match="naive datetime"):  # UTCDateTime refuses it, as ever
        HotStatement(POLLED).all(conn, {"store": 1, "at": datetime(2026, 11, 25, 12, 0)})


def test_a_database_error_of_a_hot_statement_is_sqlalchemys_error(session):
    trail = {"courier_id": 2_000_000_000, "city_id": 1, "lat": 1.0, "lon": 1.0,
             "accuracy_m": None, "at": AT}  # fmt: skip
    # No such courier: the foreign key refuses it.
    with pytest.raises(exc.IntegrityError), session.begin_nested():
        ADD_TRAIL.all(session.connection(), trail)


def _polled_at(database: Database, store_id: int):
    with database.unit_of_work(write=False) as other:  # a connection of its own: sees commits
        return other.execute(select(Store.last_polled_at).where(col(Store.id) == store_id)).scalar()


@pytest.mark.parametrize("autocommit", [False, True])
def test_a_core_unit_commits_once_or_rolls_back_everything(real_database, autocommit):
    with real_database.unit_of_work(write=False) as session:
        store_id = session.execute(select(Store.id).order_by(Store.id)).scalars().first()
    before = _polled_at(real_database, store_id)
    unit = real_database.core(write=True, autocommit=autocommit)
    try:
        HotStatement(POLLED).all(unit.connection, {"store": store_id, "at": AT})
        if real_database.dialect == "postgresql" and autocommit:  # the twin engine's connections
            raw = unit.connection.connection.dbapi_connection
            assert raw.autocommit and raw.execute("SHOW synchronous_commit").fetchone() == ("off",)
        if not autocommit:  # one transaction: nothing is visible before the commit
            assert _polled_at(real_database, store_id) == before
        unit.rollback()
    finally:
        unit.close()
    # Autocommit on PostgreSQL: the one statement committed by itself; otherwise rolled back.
    kept = autocommit and real_database.dialect == "postgresql"
    assert _polled_at(real_database, store_id) == (AT if kept else before)
    unit = real_database.core(write=True, autocommit=autocommit)
    try:
        HotStatement(POLLED).all(unit.connection, {"store": store_id, "at": AT})
        unit.commit()
    finally:
        unit.close()
    assert _polled_at(real_database, store_id) == AT
    with real_database.unit_of_work() as session:  # SQLite's writer queue was let go
        session.execute(
            text("UPDATE stores SET last_polled_at = NULL WHERE id = :id"), {"id": store_id}
        )


def test_an_empty_poll_and_a_location_update_run_on_core_connections_only(
    client, session, clock, monkeypatch
):
    job = offered_job(client, session, clock)
    store_id = job["store"].id
    tablet_auth = {"Authorization": f"Bearer {store_token(session, store_id, clock.now())}"}
    session.commit()
    first = client.get("/v1/store/feed", headers=tablet_auth,
                       query_string={"after": make_cursor("test", store_id, 0)})  # fmt: skip
    assert first.json["events"]  # events read, the heartbeat written: the ORM may do that

    def no_session(*_args, **_kwargs):
        raise AssertionError("a hot route opened an ORM session")

    monkeypatch.setattr(Database, "session", no_session)
    cursor = first.json["cursor"]
    empty = client.get("/v1/store/feed", headers=tablet_auth, query_string={"after": cursor})
    assert (empty.status_code, empty.json) == (200, {"events": [], "cursor": cursor, "more": False})
    moved = client.put("/v1/courier/location", json=HOME, headers=job["me"])
    assert (moved.status_code, moved.headers["X-Courier-Held"]) == (204, "1")
    bad = client.put("/v1/courier/location", json={**HOME, "heading": 400}, headers=job["me"])
    assert (bad.status_code, bad.json["error"]["field"]) == (422, "heading")
    assert set(bad.json["error"]) == {"code", "message", "field"}
    monkeypatch.undo()
    courier = session.get(Courier, job["courier_id"])
    session.refresh(courier)
    assert (courier.last_lat, courier.last_lon) == (HOME["lat"], HOME["lon"])


def test_a_poll_heartbeat_is_written_when_the_stored_one_is_over_30_s_old(session, clock):
    store_id = session.execute(select(Store.id).order_by(Store.id)).scalars().first()
    conn = session.connection()
    assert record_poll(session=conn, store_id=store_id, now=clock.now()) == 1
    assert record_poll(session=conn, store_id=store_id, now=clock.now()) == 0
    later = clock.now() + timedelta(seconds=31)
    assert record_poll(session=conn, store_id=store_id, now=later) == 1
    assert session.get(Store, store_id).last_polled_at == later
