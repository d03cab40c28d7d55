"""products.keywords indexed with the name; a gazetteer of places indexed the same way

Revision ID: 0014b
Revises: 0016
Create Date: 2026-12-07 14:30:00.000000

Search finds what people type: a product's category names and the generic words of its kind
(service/catalog/keywords.py) go in products.keywords, and the trigram index (FTS5 on SQLite,
pg_trgm GIN on PostgreSQL, as in 0007) now covers name, brand, spec and keywords. Places
(districts, streets, landmarks) are searched by name through the same kind of index.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014b"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("name", "brand", "spec", "keywords")


def _fts(columns: tuple[str, ...]) -> tuple[str, ...]:
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    delete = (
        f"INSERT INTO products_search(products_search, rowid, {cols})"
        f" VALUES ('delete', old.id, {old});"
    )
    insert = f"INSERT INTO products_search(rowid, {cols}) VALUES (new.id, {new});"
    return (
        f"CREATE VIRTUAL TABLE products_search USING fts5({cols},"
        " content='products', content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER products_search_ai AFTER INSERT ON products BEGIN {insert} END",
        f"CREATE TRIGGER products_search_ad AFTER DELETE ON products BEGIN {delete} END",
        f"CREATE TRIGGER products_search_au AFTER UPDATE ON products BEGIN {delete} {insert} END",
        "INSERT INTO products_search(products_search) VALUES ('rebuild')",
    )


DROP_FTS = (
    "DROP TRIGGER IF EXISTS products_search_au",
    "DROP TRIGGER IF EXISTS products_search_ad",
    "DROP TRIGGER IF EXISTS products_search_ai",
    "DROP TABLE IF EXISTS products_search",
)
PLACES_FTS = (
    "CREATE VIRTUAL TABLE places_search USING fts5(name, district,"
    " content='places', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER places_search_ai AFTER INSERT ON places BEGIN"
    " INSERT INTO places_search(rowid, name, district)"
    " VALUES (new.id, new.name, new.district); END",
    "CREATE TRIGGER places_search_ad AFTER DELETE ON places BEGIN"
    " INSERT INTO places_search(places_search, rowid, name, district)"
    " VALUES ('delete', old.id, old.name, old.district); END",
    "CREATE TRIGGER places_search_au AFTER UPDATE ON places BEGIN"
    " INSERT INTO places_search(places_search, rowid, name, district)"
    " VALUES ('delete', old.id, old.name, old.district);"
    " INSERT INTO places_search(rowid, name, district)"
    " VALUES (new.id, new.name, new.district); END",
)
PLACES_FTS_DOWN = (
    "DROP TRIGGER IF EXISTS places_search_au",
    "DROP TRIGGER IF EXISTS places_search_ad",
    "DROP TRIGGER IF EXISTS places_search_ai",
    "DROP TABLE IF EXISTS places_search",
)
# The expressions must be the ones service/catalog/search.py and service/places query.
PG_PRODUCTS = (
    "CREATE INDEX ix_products_search_trgm ON products"
    " USING gin ((name || ' ' || brand || ' ' || spec || ' ' || keywords) gin_trgm_ops)"
)
PG_PRODUCTS_OLD = (
    "CREATE INDEX ix_products_search_trgm ON products"
    " USING gin ((name || ' ' || brand || ' ' || spec) gin_trgm_ops)"
)
PG_PLACES = (
    "CREATE INDEX ix_places_search_trgm ON places"
    " USING gin ((name || ' ' || district) gin_trgm_ops)"
)


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        kind = sqlmodel.sql.sqltypes.AutoString(length=512)
        batch_op.add_column(sa.Column("keywords", kind, server_default="", nullable=False))
    op.create_table(
        "places",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("district", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"], name=op.f("fk_places_city_id_cities")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_places")),
    )
    op.create_index("uq_places_city_name", "places", ["city_id", "name"], unique=True)
    if _sqlite():
        _run((*DROP_FTS, *_fts(COLUMNS), *PLACES_FTS))
    else:
        _run(("DROP INDEX IF EXISTS ix_products_search_trgm", PG_PRODUCTS, PG_PLACES))


def downgrade() -> None:
    if _sqlite():
        _run((*PLACES_FTS_DOWN, *DROP_FTS, *_fts(COLUMNS[:3])))
    else:
        _run(
            (
                "DROP INDEX IF EXISTS ix_places_search_trgm",
                "DROP INDEX IF EXISTS ix_products_search_trgm",
                PG_PRODUCTS_OLD,
            )
        )
    op.drop_index("uq_places_city_name", table_name="places")
    op.drop_table("places")
    # Plain ALTER TABLE (SQLite >= 3.35): a batch copy of `products` fails its foreign keys.
    op.execute("ALTER TABLE products DROP COLUMN keywords")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _run(statements) -> None:
    for statement in statements:
        op.execute(statement)
