"""The migrations build the schema the models declare, identically on both engines."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import service.models  # noqa: F401
from service.db import make_engine
from service.db.migrate import downgrade, upgrade
from service.db.search_objects import is_search_object
from tests.support.databases import old_sqlite


def schema_snapshot(engine) -> dict:
    """Tables -> columns (nullable, kind), unique and plain indexes; engine-neutral."""
    inspector = inspect(engine)
    snapshot = {}
    for table in inspector.get_table_names():
        if table == "alembic_version" or is_search_object(table, "table"):
            continue
        columns = {
            c["name"]: (c["nullable"], _kind(c["type"])) for c in inspector.get_columns(table)
        }
        # PostgreSQL also lists the index behind each UNIQUE constraint; SQLite does not.
        indexes = {
            (i["name"], tuple(i["column_names"]), bool(i["unique"]))
            for i in inspector.get_indexes(table)
            if not i.get("duplicates_constraint") and not is_search_object(i["name"], "index")
        }
        uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)}
        foreign = {
            (tuple(f["constrained_columns"]), f["referred_table"])
            for f in inspector.get_foreign_keys(table)
        }
        snapshot[table] = {
            "columns": columns,
            "indexes": indexes,
            "uniques": uniques,
            "foreign": foreign,
        }
    return snapshot


def _kind(column_type) -> str:
    name = type(column_type).__name__.upper()
    for kind in (
        "BIGINT",
        "INT",
        "CHAR",
        "TEXT",
        "FLOAT",
        "REAL",
        "DOUBLE",
        "BOOL",
        "TIME",
        "JSON",
    ):
        if kind in name:
            return {"REAL": "FLOAT", "DOUBLE": "FLOAT", "TEXT": "CHAR"}.get(kind, kind)
    return name


def test_migrations_match_the_models(engine_under_test):
    with engine_under_test.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, _: not is_search_object(name, type_),
            },
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


# Declared INTEGER on SQLite, whose INTEGER holds 64 bits already (migration 0017).
SQLITE_64_BIT = {("stores", "stock_version")}


def _as_on_postgresql(snapshot: dict) -> dict:
    for table, column in SQLITE_64_BIT:
        nullable, _ = snapshot[table]["columns"][column]
        snapshot[table]["columns"][column] = (nullable, "BIGINT")
    return snapshot


def test_migrations_build_the_same_schema_on_sqlite_and_postgresql(template, tmp_path):
    here = make_engine(template.url)
    reference = make_engine(f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    upgrade(reference)
    try:
        assert _as_on_postgresql(schema_snapshot(here)) == _as_on_postgresql(
            schema_snapshot(reference)
        )
    finally:
        here.dispose()
        reference.dispose()


def test_money_columns_are_64_bit_integers(template):
    engine = make_engine(template.url)
    inspector = inspect(engine)
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            if column["name"].endswith("_fen"):
                assert _kind(column["type"]) == "BIGINT", (table, column["name"])
    engine.dispose()


def test_migrations_downgrade_to_nothing_and_back(template):
    url = template.copy()
    engine = make_engine(url)
    try:
        downgrade(engine, "base")
        assert inspect(engine).get_table_names() == ["alembic_version"]  # the FTS table too
        upgrade(engine)
        assert "orders" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
        template.drop(url)


def test_a_sqlite_database_holding_an_order_with_a_promotion_upgrades_to_head(tmp_path):
    # A batch migration on SQLite copies and drops its table; orders pointing at a promotion
    # made 0008's DROP TABLE promotions fail on a `make run` database that had taken orders.
    path = tmp_path / "old.sqlite3"
    raw = old_sqlite(path, "0007")
    raw.execute(
        "INSERT INTO promotions (id, name, kind, threshold_fen, discount_fen, categories,"
        " city_id, starts_at, ends_at) VALUES (1, 'p', 'threshold', 100, 10, '[]', 1,"
        " '2026-01-01', '2027-01-01')"
    )
    raw.execute(
        "INSERT INTO orders (id, city_id, consumer_id, store_id, status, payment_method,"
        " address, lat, lon, subtotal_fen, promotion_fen, coupon_fen, delivery_fee_fen,"
        " payable_fen, promotion_id, handoff_code, tried_store_ids, placed_at,"
        " promised_at, eta_at, updated_at) VALUES (1, 1, 1, 1, 'PLACED', 'x', 'x', 0, 0,"
        " 1, 0, 0, 0, 1, 1, '1234', '[]', '2026-01-01', '2026-01-01', '2026-01-01',"
        " '2026-01-01')"
    )
    raw.commit()
    raw.close()
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT paused FROM promotions").scalar() == 0
    engine.dispose()
