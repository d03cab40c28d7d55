"""SQLite settings that concurrent writers rely on (SQLite-only behaviour by nature)."""

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

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


def test_writers_of_two_engines_on_one_file_take_turns_without_lost_updates(tmp_path):
    # Two engines stand for two gunicorn workers: their writers queue on the file lock.
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    first, second = Database(make_engine(url)), Database(make_engine(url))
    with first.unit_of_work() as session:
        session.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        session.execute(text("INSERT INTO counter VALUES (1, 0)"))
    barrier = threading.Barrier(6)

    def bump(database: Database):
        barrier.wait()
        for _ in range(25):
            with database.unit_of_work() as session:
                n = session.execute(text("SELECT n FROM counter")).scalar()
                session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

    threads = [threading.Thread(target=bump, args=(db,)) for db in (first, second) * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with second.unit_of_work(write=False) as session:
        assert session.execute(text("SELECT n FROM counter")).scalar() == 150


def test_a_writer_waits_for_the_one_inside_and_goes_on_when_it_commits(sqlite_db):
    inside, done = threading.Event(), threading.Event()
    order: list[str] = []

    def second_writer():
        inside.wait()
        with sqlite_db.unit_of_work() as session:
            session.execute(text("UPDATE counter SET n = n * 10"))
        order.append("second")
        done.set()

    thread = threading.Thread(target=second_writer)
    thread.start()
    with sqlite_db.unit_of_work() as session:
        session.execute(text("UPDATE counter SET n = n + 1"))
        inside.set()
        assert not done.wait(0.3)  # still queued behind this transaction
        order.append("first")
    thread.join()
    assert order == ["first", "second"]
    with sqlite_db.unit_of_work(write=False) as session:
        assert session.execute(text("SELECT n FROM counter")).scalar() == 10


def test_a_failed_write_lets_the_next_writer_in(sqlite_db):
    with pytest.raises(ZeroDivisionError), sqlite_db.unit_of_work() as session:
        session.execute(text("UPDATE counter SET n = 99"))
        raise ZeroDivisionError
    with pytest.raises(Exception, match="no such table"), sqlite_db.unit_of_work() as session:
        session.execute(text("UPDATE missing SET n = 1"))
    with sqlite_db.unit_of_work() as session:
        session.execute(text("UPDATE counter SET n = n + 1"))
    with sqlite_db.unit_of_work(write=False) as session:
        assert session.execute(text("SELECT n FROM counter")).scalar() == 1


def test_readers_are_not_queued_behind_a_writer(sqlite_db):
    with sqlite_db.unit_of_work() as writer:
        writer.execute(text("UPDATE counter SET n = 5"))
        result: list[int] = []
        reader = threading.Thread(target=lambda: result.append(_read(sqlite_db)))
        reader.start()
        reader.join(timeout=5)
        assert result == [0]  # answered at once, from the last committed state


def test_a_second_write_transaction_in_the_same_thread_fails_instead_of_hanging(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'nested.sqlite3'}", writer_timeout_s=0.2)
    database = Database(engine)
    with database.unit_of_work() as outer:
        outer.execute(text("CREATE TABLE t (n INTEGER)"))
        with pytest.raises(OperationalError, match="locked"), database.unit_of_work() as inner:
            inner.execute(text("INSERT INTO t VALUES (1)"))


def _read(database: Database) -> int:
    with database.unit_of_work(write=False) as session:
        return session.execute(text("SELECT n FROM counter")).scalar()
