"""stores.stock_version: moved by every write to a store's stock rows, by triggers

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 16:55:00.000000

Product search keeps each city's shelves in memory (service/catalog/shelves.py) and checks
them against this counter on every search. Triggers move it in the writing transaction, so
no path that writes stock (orders, syncs, staff switches, an operator's SQL) can forget it.
SQLite: row triggers. PostgreSQL: statement triggers over the transition table, one stores
UPDATE per statement however many stock rows it wrote (a 1,000-row sync bumps once).
The store row is locked by its writers before their stock rows (sync, reserve, release), so
the trigger's UPDATE adds no new lock order.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUMP = "UPDATE stores SET stock_version = stock_version + 1 WHERE id"
SQLITE_UP = (
    f"CREATE TRIGGER store_stock_version_ai AFTER INSERT ON store_stock BEGIN"
    f" {BUMP} = new.store_id; END",
    f"CREATE TRIGGER store_stock_version_au AFTER UPDATE ON store_stock BEGIN"
    f" {BUMP} IN (old.store_id, new.store_id); END",
    f"CREATE TRIGGER store_stock_version_ad AFTER DELETE ON store_stock BEGIN"
    f" {BUMP} = old.store_id; END",
)
SQLITE_DOWN = tuple(
    f"DROP TRIGGER IF EXISTS store_stock_version_a{event}" for event in ("i", "u", "d")
)
POSTGRES_UP = (
    "CREATE FUNCTION bump_stock_version() RETURNS trigger LANGUAGE plpgsql AS $$"
    f" BEGIN {BUMP} IN (SELECT store_id FROM changed_stock); RETURN NULL; END $$",
    *(
        f"CREATE TRIGGER store_stock_version_{event.lower()} AFTER {event} ON store_stock"
        f" REFERENCING {side} TABLE AS changed_stock FOR EACH STATEMENT"
        " EXECUTE FUNCTION bump_stock_version()"
        for event, side in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
    ),
)
POSTGRES_DOWN = (
    *(
        f"DROP TRIGGER IF EXISTS store_stock_version_{event} ON store_stock"
        for event in ("insert", "update", "delete")
    ),
    "DROP FUNCTION IF EXISTS bump_stock_version()",
)


def upgrade() -> None:
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stock_version", sa.Integer(), server_default="0", nullable=False)
        )
    _run(SQLITE_UP if _sqlite() else POSTGRES_UP)


def downgrade() -> None:
    _run(SQLITE_DOWN if _sqlite() else POSTGRES_DOWN)
    # Plain ALTER TABLE (SQLite >= 3.35): a batch copy of `stores` fails its foreign keys.
    op.execute("ALTER TABLE stores DROP COLUMN stock_version")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _run(statements) -> None:
    for statement in statements:
        op.execute(statement)
