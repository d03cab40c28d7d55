"""The one place a unit of work is committed or rolled back."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, Transaction, text
from sqlmodel import Session

from service.db.engine import autocommit_twin


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

    def core(self, *, write: bool = True, autocommit: bool = False) -> "CoreUnit":
        """A Core connection with its transaction begun, for a hot route's plain statements
        (service.db.hot): the same rules as `session` (autocommit, SQLite's writer queue and
        BEGIN IMMEDIATE for writes, a SAVEPOINT when tests bind a connection), without the ORM.
        """
        bind = self.bind
        if not isinstance(bind, Engine):
            return CoreUnit(bind, bind.begin_nested(), owned=False)
        connection = (self._bind_for(write, autocommit) if autocommit or not write
                      else bind).connect()  # fmt: skip
        try:
            return CoreUnit(connection, connection.begin(), owned=True)
        except BaseException:
            connection.close()
            raise

    @contextmanager
    def core_work(self, *, write: bool = True, autocommit: bool = False) -> Iterator[Connection]:
        """unit_of_work on a Core connection (`core`): commit if the block succeeds, else roll
        back."""
        unit = self.core(write=write, autocommit=autocommit)
        try:
            yield unit.connection
            unit.commit()
        except BaseException:
            unit.rollback()
            raise
        finally:
            unit.close()

    def _bind_for(self, write: bool, autocommit: bool) -> Engine:
        # Built once: execution_options() makes a new engine proxy on every call.
        postgres_autocommit = autocommit and self.dialect == "postgresql"
        key = (id(self.bind), "twin") if postgres_autocommit else (id(self.bind), write, autocommit)
        bind = self._binds.get(key)
        if bind is None:
            if postgres_autocommit:  # reads and writes alike: each statement commits itself
                bind = self._binds[key] = autocommit_twin(self.bind)
                return bind
            options = {} if write else {"sqlite_begin": "DEFERRED"}
            if autocommit:
                options = {} if write else {"sqlite_begin": "NONE"}
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


class CoreUnit:
    """A Core connection and its begun transaction: committed or rolled back once, then closed."""

    def __init__(self, connection: Connection, transaction: Transaction, *, owned: bool):
        self.connection, self.transaction, self.owned = connection, transaction, owned

    def commit(self) -> None:
        self.transaction.commit()

    def rollback(self) -> None:
        self.transaction.rollback()

    def close(self) -> None:
        if self.transaction.is_active:
            self.transaction.rollback()
        if self.owned:
            self.connection.close()
