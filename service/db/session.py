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
        self._binds: dict[tuple, Engine] = {}

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self, *, write: bool = True, autocommit: bool = False) -> Session:
        """A new session; read-only ones start a deferred transaction on SQLite.

        `autocommit` is for work that is one statement (or reads needing no common snapshot):
        each statement commits by itself, so PostgreSQL is spared the BEGIN and COMMIT round
        trips and SQLite reads their BEGIN and COMMIT calls. SQLite writes still BEGIN
        IMMEDIATE behind the writer queue, which is what keeps its writers from sleeping.
        """
        bind = self.bind
        if isinstance(bind, Engine) and (autocommit or not write):
            bind = self._bind_for(write, autocommit)
        kwargs = {"expire_on_commit": False}
        if self.join_transaction_mode:
            kwargs["join_transaction_mode"] = self.join_transaction_mode
        return Session(bind=bind, **kwargs)

    def _bind_for(self, write: bool, autocommit: bool) -> Engine:
        # Built once: execution_options() makes a new engine proxy on every call.
        key = (id(self.bind), write, autocommit)
        bind = self._binds.get(key)
        if bind is None:
            options = {} if write else {"sqlite_begin": "DEFERRED"}
            if autocommit:
                options = ({"isolation_level": "AUTOCOMMIT"} if self.dialect == "postgresql"
                           else {} if write else {"sqlite_begin": "NONE"})  # fmt: skip
            bind = self._binds[key] = self.bind.execution_options(**options)
        return bind

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
