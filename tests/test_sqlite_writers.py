"""SQLite settings that concurrent writers rely on (SQLite-only behaviour by nature)."""

import threading

import pytest
from sqlalchemy import text

from service.db import Database, make_engine


@pytest.fixture
def sqlite_db(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'writers.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (1, 0)"))
    yield Database(engine)
    engine.dispose()


def test_sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout(sqlite_db):
    with sqlite_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_read_then_write_transactions_never_fail_busy_under_concurrent_writers(sqlite_db):
    errors: list[Exception] = []
    barrier = threading.Barrier(8)

    def bump():
        barrier.wait()
        for _ in range(20):
            try:
                with sqlite_db.unit_of_work() as session:
                    n = session.execute(text("SELECT n FROM counter WHERE id = 1")).scalar()
                    session.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})
            except Exception as error:  # collected: the assertion below names it
                errors.append(error)

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with sqlite_db.unit_of_work(write=False) as session:
        # BEGIN IMMEDIATE serialises whole read-modify-write transactions: no lost update.
        assert session.execute(text("SELECT n FROM counter")).scalar() == 160
