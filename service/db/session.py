"""The one place a unit of work is committed or rolled back."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text
from sqlmodel import Session


def lazy_commit(session: Session | Connection) -> None:
    """Let this transaction's commit return before its WAL reaches the disk (PostgreSQL).

    Only for writes overwritten within seconds (a courier's position, a tablet's heartbeat):
    committed and visible at once as always, but a crash of the database server may lose the
    last ~0.6 s of them; the database stays consistent. SQLite: nothing to say.
    """
    bind = session if isinstance(session, Connection) else session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit = off"))


class Database:
    """An engine plus the rule for opening sessions on it.

    `bind` may be replaced by tests with a connection inside an outer transaction, so that
    the same commit-in-one-place code runs against a SAVEPOINT that is rolled back later.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self.bind = engine
        self.join_transaction_mode = None
        self._readers: dict[int, Engine] = {}

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self, *, write: bool = True) -> Session:
        """A new session; read-only ones start a deferred transaction on SQLite (no writer
        lock), write ones BEGIN IMMEDIATE behind the writer queue (see engine)."""
        bind = self.bind
        if isinstance(bind, Engine) and not write:
            bind = self._reader(bind)
        kwargs = {"expire_on_commit": False}
        if self.join_transaction_mode:
            kwargs["join_transaction_mode"] = self.join_transaction_mode
        return Session(bind=bind, **kwargs)

    def _reader(self, engine: Engine) -> Engine:
        # Built once: execution_options() makes a new engine proxy on every call.
        reader = self._readers.get(id(engine))
        if reader is None:
            reader = self._readers[id(engine)] = engine.execution_options(sqlite_begin="DEFERRED")
        return reader

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        """Yield a session; commit if the block succeeds, roll back if it raises."""
        session = self.session(write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
