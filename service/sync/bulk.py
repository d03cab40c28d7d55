"""Write a feed into store_stock in bulk: multi-row INSERT ... ON CONFLICT DO UPDATE batches,
or COPY into a temporary table and one INSERT ... SELECT on PostgreSQL for large feeds.

Only on_hand, price_fen and synced_at are ever set on an existing row: `reserved` belongs to
orders, and staff flags (such as an "unavailable" switch) belong to staff.
"""

import functools
from datetime import UTC, datetime

from sqlalchemy import Connection

COLUMNS = ("city_id", "store_id", "product_id", "on_hand", "reserved", "price_fen", "synced_at")
BATCH = 500  # 3,500 parameters a statement: well under SQLite's 32,766
COPY_FROM = 200  # measured break-even ~100-200 rows; at 1,000 rows COPY upserts twice as fast
UPDATE = ("ON CONFLICT (store_id, product_id) DO UPDATE SET on_hand = excluded.on_hand, "
          "price_fen = excluded.price_fen, synced_at = excluded.synced_at")  # fmt: skip


def upsert_stock(connection: Connection, *, city_id: int, store_id: int,
                 rows: list[tuple[int, int, int]], now: datetime) -> int:  # fmt: skip
    """Write (product_id, on_hand, price_fen) rows for one store; returns rows written."""
    stamp = _stamp(connection, now)
    records = [
        (city_id, store_id, p, on_hand, 0, price, stamp) for p, on_hand, price in sorted(rows)
    ]
    if connection.dialect.name == "postgresql" and len(records) >= COPY_FROM:
        _copy_upsert(connection, records)
        return len(records)
    paramstyle = connection.dialect.paramstyle
    for start in range(0, len(records), BATCH):
        batch = records[start : start + BATCH]
        flat = tuple(value for record in batch for value in record)
        connection.exec_driver_sql(_values_statement(len(batch), paramstyle), flat)
    return len(records)


def zero_missing(connection: Connection, *, store_id: int, now: datetime, keep: set[int]) -> int:
    """Set to zero the store's rows a full snapshot did not list (and did not just write)."""
    rows = connection.exec_driver_sql(
        _placeholders("SELECT product_id FROM store_stock WHERE store_id = {} AND on_hand <> 0 "
                      "AND (synced_at IS NULL OR synced_at <> {})", connection),
        (store_id, _stamp(connection, now)),
    ).all()  # fmt: skip
    gone = [(store_id, pid) for (pid,) in rows if pid not in keep]
    if gone:
        connection.exec_driver_sql(
            _placeholders("UPDATE store_stock SET on_hand = 0, synced_at = {} "
                          "WHERE store_id = {} AND product_id = {}", connection),
            [(_stamp(connection, now), *key) for key in gone],
        )  # fmt: skip
    return len(gone)


def _stamp(connection: Connection, now: datetime):
    """`now` as UTCDateTime stores it on this engine (SQLite: naive UTC text)."""
    if connection.dialect.name == "sqlite":
        return now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return now


def _placeholders(sql: str, connection: Connection) -> str:
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    return sql.replace("{}", mark)


@functools.cache
def _values_statement(count: int, paramstyle: str) -> str:
    mark = "?" if paramstyle == "qmark" else "%s"
    one = "(" + ", ".join([mark] * len(COLUMNS)) + ")"
    return (f"INSERT INTO store_stock ({', '.join(COLUMNS)}) VALUES "
            + ", ".join([one] * count) + " " + UPDATE)  # fmt: skip


def _copy_upsert(connection: Connection, records: list[tuple]) -> None:
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS stock_feed (LIKE store_stock "
                       "INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")  # fmt: skip
        cursor.execute("TRUNCATE stock_feed")
        with cursor.copy(f"COPY stock_feed ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for record in records:
                copy.write_row(record)
        names = ", ".join(COLUMNS)
        cursor.execute(f"INSERT INTO store_stock ({names}) SELECT {names} FROM stock_feed "
                       f"ORDER BY product_id {UPDATE}")  # fmt: skip
    finally:
        cursor.close()
