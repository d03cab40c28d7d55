"""The one place a unit of work is committed or rolled back."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlmodel import Session


class Database:
    """An engine plus the rule for opening sessions on it.

    `bind` may be replaced by tests with a connection inside an outer transaction, so that
    the same commit-in-one-place code runs against a SAVEPOINT that is rolled back later.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self.bind = engine
        self.join_transaction_mode = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self, *, write: bool = True) -> Session:
        """A new session; read-only ones start a deferred transaction on SQLite."""
        bind = self.bind
        if not write and isinstance(bind, Engine):
            bind = bind.execution_options(sqlite_begin="DEFERRED")
        kwargs = {"expire_on_commit": False}
        if self.join_transaction_mode:
            kwargs["join_transaction_mode"] = self.join_transaction_mode
        return Session(bind=bind, **kwargs)

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
