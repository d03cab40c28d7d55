"""Hot statements on Core connections: the same rows and types as SQLAlchemy, errors wrapped,
and a Core unit of work that commits or rolls back once (service.db.hot, Database.core)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, select, text, update
from sqlmodel import col

from service.db import Database
from service.db.hot import HotStatement
from service.stores.models import Store
from service.tablet.feed import record_poll

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


def test_a_poll_heartbeat_is_written_when_the_stored_one_is_over_30_s_old(session, clock):
    store_id = session.execute(select(Store.id).order_by(Store.id)).scalars().first()
    conn = session.connection()
    assert record_poll(session=conn, store_id=store_id, now=clock.now()) == 1
    assert record_poll(session=conn, store_id=store_id, now=clock.now()) == 0
    later = clock.now() + timedelta(seconds=31)
    assert record_poll(session=conn, store_id=store_id, now=later) == 1
    assert session.get(Store, store_id).last_polled_at == later
