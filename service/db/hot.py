"""Hot statements: a Core statement compiled once per dialect and run on the DBAPI cursor.

The hottest routes (an empty store-feed poll and a courier's location, one statement each;
product search's reads) run few statements, and SQLAlchemy's execution machinery around a
statement (execution context, events, result objects) cost more CPU than the statement:
in-process, 0.13 ms of 0.26 on PostgreSQL and 0.04 of 0.06 ms on SQLite per statement. A
HotStatement keeps what SQLAlchemy decides (the SQL text its compiler writes for the
dialect, and each column type's bind and result processors, through the types' public API),
and leaves out the rest: it runs on the cursor of a Connection whose transaction SQLAlchemy
still begins, commits and rolls back (see Database.core), so the writer queue, autocommit
and savepoints all work as for any session.
A DBAPI error is raised as SQLAlchemy's wrapped error (the 503 for a lock timeout still
applies), and a connection the driver lost is invalidated as SQLAlchemy would.
"""

from collections import namedtuple
from typing import Any

from sqlalchemy import Connection, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement


def connection_of(session: Session | Connection) -> Connection:
    """The Core connection under `session` (or `session` itself when it is one)."""
    return session if isinstance(session, Connection) else session.connection()


class _Compiled:
    """The statement as one dialect runs it: SQL text, parameter order, processors."""

    def __init__(self, statement: ClauseElement, dialect: Dialect):
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.compiled = compiled
        self.order = list(compiled.positiontup) if compiled.positional else None
        processors: dict = {}  # a name bound twice (a CTE's copy) takes the typed one's
        for param, name in compiled.bind_names.items():
            proc = param.type.dialect_impl(dialect).bind_processor(dialect)
            if proc is not None:
                processors.setdefault(name, proc)
        self.bind_processors = list(processors.items())
        self.columns = list(statement.exported_columns)
        self.dialect = dialect
        # Known here, not asked of the cursor: psycopg builds its description on every call.
        self.returns_rows = bool(self.columns)
        self.row = namedtuple("Row", [column.key for column in self.columns])  # noqa: PYI024
        self.result_processors: list | None = None  # from the first execution's type codes
        self.processed = False

    def learn_types(self, cursor) -> None:
        """The columns' result processors, from the driver's type codes (PostgreSQL's Float
        and Numeric ones depend on them), read once: at the first execution."""
        codes = [d[1] for d in cursor.description] if cursor.description else []
        codes += [None] * (len(self.columns) - len(codes))
        processors = [
            column.type.dialect_impl(self.dialect).result_processor(self.dialect, code)
            for column, code in zip(self.columns, codes, strict=True)
        ]
        self.processed = any(processors)  # before the list: another thread may be reading
        self.result_processors = processors

    def parameters(self, params: dict) -> Any:
        values = self.compiled.construct_params(params)
        for name, proc in self.bind_processors:
            values[name] = proc(values[name])
        return values if self.order is None else tuple(values[name] for name in self.order)

    def rows(self, fetched: list) -> list:
        if not self.processed:
            return [self.row._make(raw) for raw in fetched]
        procs = self.result_processors
        return [self.row._make(v if p is None else p(v) for p, v in zip(procs, raw, strict=True))
                for raw in fetched]  # fmt: skip


class HotStatement:
    """A statement selecting or returning columns, run by `all(connection, params)`.

    `binary`: on PostgreSQL, rows come back in the binary format. For a wide read of numbers
    (hundreds of stores' coordinates) it costs both sides less than text, where the server
    prints every float in its shortest form and the driver parses it back (measured on
    product search's 340 stores: 0.58 -> 0.28 ms of driver CPU a query).
    """

    def __init__(self, statement: ClauseElement, *, binary: bool = False):
        self.statement = statement
        self.binary = binary
        self._by_dialect: dict[int, _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._by_dialect.get(id(dialect))
        if compiled is None:
            compiled = self._by_dialect[id(dialect)] = _Compiled(self.statement, dialect)
        return compiled

    def all(self, connection: Connection, params: dict) -> list:
        """Every row (attribute access by column key), in the connection's transaction."""
        return self.execute(connection, params)[0]

    def execute(self, connection: Connection, params: dict) -> tuple[list, int]:
        """The rows and the driver's rowcount (rows an UPDATE matched)."""
        compiled = self._for(connection.dialect)
        args = compiled.parameters(params)
        dbapi_connection = connection.connection.dbapi_connection
        cursor = dbapi_connection.cursor()
        try:
            if self.binary and connection.dialect.name == "postgresql":
                cursor.execute(compiled.sql, args, binary=True)
            else:
                cursor.execute(compiled.sql, args)
            if compiled.returns_rows and compiled.result_processors is None:
                compiled.learn_types(cursor)
            fetched = cursor.fetchall() if compiled.returns_rows else []
            rowcount = cursor.rowcount
        except connection.dialect.loaded_dbapi.Error as error:
            if connection.dialect.is_disconnect(error, dbapi_connection, cursor):
                connection.invalidate(error)
            raise exc.DBAPIError.instance(compiled.sql, args, error,
                                          connection.dialect.loaded_dbapi.Error,
                                          dialect=connection.dialect) from error  # fmt: skip
        finally:
            cursor.close()
        return compiled.rows(fetched), rowcount

    def first(self, connection: Connection, params: dict):
        """The first row, or None."""
        rows = self.all(connection, params)
        return rows[0] if rows else None
