"""product search: brand and spec on products, a trigram index over name, brand and spec

Revision ID: 0007
Revises: 0002
Create Date: 2026-11-25 13:50:34.026058

SQLite: an external-content FTS5 table with the trigram tokenizer (SQLite >= 3.34), kept in
step with `products` by triggers. PostgreSQL: pg_trgm (a trusted extension, so the database
owner may create it) and a GIN index on the same text the search queries; pg_trgm was checked
to extract trigrams from Chinese under the C.UTF-8 locale (`show_trgm('牛奶饮料')` gives 5).
Neither is a model: tests/test_schema.py and env.py skip them (service/db/search_objects.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = (
    "CREATE VIRTUAL TABLE products_search USING fts5(name, brand, spec,"
    " content='products', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER products_search_ai AFTER INSERT ON products BEGIN"
    " INSERT INTO products_search(rowid, name, brand, spec)"
    " VALUES (new.id, new.name, new.brand, new.spec); END",
    "CREATE TRIGGER products_search_ad AFTER DELETE ON products BEGIN"
    " INSERT INTO products_search(products_search, rowid, name, brand, spec)"
    " VALUES ('delete', old.id, old.name, old.brand, old.spec); END",
    "CREATE TRIGGER products_search_au AFTER UPDATE ON products BEGIN"
    " INSERT INTO products_search(products_search, rowid, name, brand, spec)"
    " VALUES ('delete', old.id, old.name, old.brand, old.spec);"
    " INSERT INTO products_search(rowid, name, brand, spec)"
    " VALUES (new.id, new.name, new.brand, new.spec); END",
    "INSERT INTO products_search(products_search) VALUES ('rebuild')",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS products_search_au",
    "DROP TRIGGER IF EXISTS products_search_ad",
    "DROP TRIGGER IF EXISTS products_search_ai",
    "DROP TABLE IF EXISTS products_search",
)
# The expression must be the one service/catalog/search.py queries, or the planner ignores it.
POSTGRES_UP = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_products_search_trgm ON products"
    " USING gin ((name || ' ' || brand || ' ' || spec) gin_trgm_ops)",
)
POSTGRES_DOWN = ("DROP INDEX IF EXISTS ix_products_search_trgm",)


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        for name in ("brand", "spec"):
            kind = sqlmodel.sql.sqltypes.AutoString(length=64)
            batch_op.add_column(sa.Column(name, kind, server_default="", nullable=False))
    _run(SQLITE_UP if _sqlite() else POSTGRES_UP)


def downgrade() -> None:
    _run(SQLITE_DOWN if _sqlite() else POSTGRES_DOWN)
    # Plain ALTER TABLE (SQLite >= 3.35): a batch copy of `products` fails its foreign keys.
    op.execute("ALTER TABLE products DROP COLUMN spec")
    op.execute("ALTER TABLE products DROP COLUMN brand")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _run(statements) -> None:
    for statement in statements:
        op.execute(statement)
