"""Write feeds into store_stock in bulk, for one store or a batch of stores at once.

Only on_hand, price_fen and synced_at are ever set on an existing row: `reserved` belongs to
orders, and staff flags (such as an "unavailable" switch) belong to staff. A row whose on_hand
and price the feed repeats is not written at all (no new row version, no lock), so
`store_stock.synced_at` is when a sync last changed the row; a store's freshness is
`stores.last_synced_at`.

PostgreSQL, from COPY_FROM rows: the batch is COPYed into a temporary table, then one UPDATE
(changed rows), one INSERT (new rows) and one zeroing UPDATE (SKUs a full snapshot no longer
lists) serve every store of the batch. Otherwise: multi-row INSERT ... ON CONFLICT DO UPDATE
WHERE changed, 500 rows a statement, and the zeroing by primary key.
"""

import functools
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection

COLUMNS = ("city_id", "store_id", "product_id", "on_hand", "reserved", "price_fen", "synced_at")
BATCH = 500  # 3,500 parameters a statement: well under SQLite's 32,766
COPY_FROM = 200  # measured break-even ~100-200 rows; at 1,000 rows COPY upserts twice as fast
CHANGED = "(store_stock.on_hand <> excluded.on_hand OR store_stock.price_fen <> excluded.price_fen)"
UPSERT = (
    "ON CONFLICT (store_id, product_id) DO UPDATE SET on_hand = excluded.on_hand, "
    f"price_fen = excluded.price_fen, synced_at = excluded.synced_at WHERE {CHANGED}"
)


@dataclass
class StoreFeed:
    """One store's validated feed: (product_id, on_hand, price_fen) rows, one per product."""

    store_id: int
    city_id: int
    rows: list[tuple[int, int, int]]
    keep: set[int] = field(default_factory=set)  # never zeroed: listed on bad or twice-seen lines
    full: bool = True  # a full snapshot: products it does not list go to zero


@dataclass
class Written:
    changed: int = 0  # rows inserted or whose on_hand or price changed
    zeroed: int = 0


def apply_feeds(
    connection: Connection, feeds: list[StoreFeed], *, now: datetime
) -> dict[int, Written]:
    """Write every feed (the caller holds the stores' rows); what changed, by store id."""
    written = {feed.store_id: Written() for feed in feeds}
    big = sum(len(feed.rows) for feed in feeds) >= COPY_FROM
    if connection.dialect.name == "postgresql" and big:
        _copy_apply(connection, feeds, now, written)
        return written
    for feed in feeds:
        written[feed.store_id].changed = _values_upsert(connection, feed, now)
        if feed.full:
            written[feed.store_id].zeroed = _zero_missing(connection, feed, now)
    return written


def _values_upsert(connection: Connection, feed: StoreFeed, now: datetime) -> int:
    stamp, changed = _stamp(connection, now), 0
    records = [
        (feed.city_id, feed.store_id, p, on_hand, 0, price, stamp)
        for p, on_hand, price in sorted(feed.rows)
    ]
    paramstyle = connection.dialect.paramstyle
    for start in range(0, len(records), BATCH):
        batch = records[start : start + BATCH]
        flat = tuple(value for record in batch for value in record)
        changed += connection.exec_driver_sql(
            _values_statement(len(batch), paramstyle), flat
        ).rowcount
    return changed


def _zero_missing(connection: Connection, feed: StoreFeed, now: datetime) -> int:
    """Set to zero the store's rows a full snapshot did not list."""
    listed = {p for p, _, _ in feed.rows} | feed.keep
    rows = connection.exec_driver_sql(
        _placeholders(
            "SELECT id, product_id FROM store_stock WHERE store_id = {} AND on_hand <> 0",
            connection,
        ),
        (feed.store_id,),
    ).all()
    gone = [(_stamp(connection, now), row_id) for row_id, pid in rows if pid not in listed]
    if gone:
        connection.exec_driver_sql(
            _placeholders(
                "UPDATE store_stock SET on_hand = 0, synced_at = {} WHERE id = {}", connection
            ),
            gone,
        )
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
    return (
        f"INSERT INTO store_stock ({', '.join(COLUMNS)}) VALUES "
        + ", ".join([one] * count)
        + " "
        + UPSERT
    )


FEED_TABLE = """CREATE TEMP TABLE IF NOT EXISTS stock_feed (city_id int, store_id int,
    product_id int, on_hand int, price_fen bigint, apply bool) ON COMMIT DELETE ROWS"""
# `store_id = ANY` lets the planner read only the batch's stores (a bitmap scan of the unique
# index) and hash-join them to the feed; without it the INSERT's anti-join read the whole table.
UPDATE_CHANGED = """UPDATE store_stock s SET on_hand = f.on_hand, price_fen = f.price_fen,
    synced_at = %(now)s FROM stock_feed f WHERE f.apply AND s.store_id = ANY(%(stores)s)
    AND s.store_id = f.store_id AND s.product_id = f.product_id
    AND (s.on_hand <> f.on_hand OR s.price_fen <> f.price_fen) RETURNING s.store_id"""
INSERT_NEW = """INSERT INTO store_stock (city_id, store_id, product_id, on_hand, reserved,
    price_fen, synced_at) SELECT f.city_id, f.store_id, f.product_id, f.on_hand, 0, f.price_fen,
    %(now)s FROM stock_feed f WHERE f.apply AND NOT EXISTS (SELECT 1 FROM store_stock s
    WHERE s.store_id = ANY(%(stores)s) AND s.store_id = f.store_id AND s.product_id = f.product_id)
    ORDER BY f.store_id, f.product_id ON CONFLICT (store_id, product_id) DO NOTHING
    RETURNING store_id"""
ZERO_MISSING = """UPDATE store_stock s SET on_hand = 0, synced_at = %(now)s
    WHERE s.store_id = ANY(%(stores)s) AND s.on_hand <> 0 AND NOT EXISTS (SELECT 1
    FROM stock_feed f WHERE f.store_id = s.store_id AND f.product_id = s.product_id)
    RETURNING s.store_id"""


def _copy_apply(
    connection: Connection, feeds: list[StoreFeed], now: datetime, written: dict[int, Written]
) -> None:
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(FEED_TABLE)
        cursor.execute("TRUNCATE stock_feed")
        with cursor.copy("COPY stock_feed FROM STDIN") as copy:
            copy.write("".join(map(_feed_text, feeds)))
        stores = [feed.store_id for feed in feeds]
        changed = Counter(_store_ids(cursor, UPDATE_CHANGED, {"now": now, "stores": stores}))
        changed.update(_store_ids(cursor, INSERT_NEW, {"now": now, "stores": stores}))
        full = [feed.store_id for feed in feeds if feed.full]
        zeroed = Counter(
            _store_ids(cursor, ZERO_MISSING, {"now": now, "stores": full}) if full else []
        )
    finally:
        cursor.close()
    for store_id, entry in written.items():
        entry.changed, entry.zeroed = changed[store_id], zeroed[store_id]


def _feed_text(feed: StoreFeed) -> str:
    """The feed as COPY text: its rows, then the products left alone (apply = false)."""
    head = f"{feed.city_id}\t{feed.store_id}\t"
    lines = [f"{head}{p}\t{on_hand}\t{price}\tt\n" for p, on_hand, price in feed.rows]
    lines += [f"{head}{p}\t0\t0\tf\n" for p in feed.keep]
    return "".join(lines)


def _store_ids(cursor, sql: str, params: dict) -> list[int]:
    cursor.execute(sql, params)
    return [store_id for (store_id,) in cursor.fetchall()]
