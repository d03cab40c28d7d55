"""Which catalogue products a query names, through the trigram index of each engine.

Migration 0007 builds the index: an FTS5 trigram table on SQLite, a pg_trgm GIN index on
PostgreSQL over SEARCH_TEXT. A trigram index cannot serve a query under 3 characters ("牛奶"):
those scan the products table, which is the catalogue (hundreds of rows), never the stock.
"""

from sqlalchemy import column, literal_column, select, text
from sqlmodel import Session, col

from service.catalog.models import Product
from service.db.search_objects import SEARCH_TABLE

MIN_INDEXED = 3  # characters: the shortest query a trigram index can serve
# Exactly the indexed expression of migration 0007 (a bound ' ' would hide it from the planner).
SEARCH_TEXT = literal_column("(products.name || ' ' || products.brand || ' ' || products.spec)")
PRODUCT_COLUMNS = (Product.id, Product.sku, Product.name, Product.brand, Product.spec,
                   Product.category)  # fmt: skip
FTS_IDS = text(f"SELECT rowid FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH :phrase").columns(
    column("rowid")
)


def normalised(q: str | None) -> str:
    """The query as matched: trimmed, inner whitespace collapsed to one space."""
    return " ".join((q or "").split())


def matching_products(session: Session, *, q: str, category: str | None) -> list:
    """Rows of PRODUCT_COLUMNS whose name, brand or spec holds `q` (any case), in `category`."""
    query = select(*PRODUCT_COLUMNS)
    if category:
        query = query.where(col(Product.category) == category)
    if q:
        query = query.where(text_matches(session, q))
    return session.connection().execute(query).all()


def text_matches(session: Session, q: str):
    """The condition "name, brand or spec holds q", through the engine's trigram index."""
    if len(q) >= MIN_INDEXED and session.get_bind().dialect.name == "sqlite":
        # An FTS5 phrase is a substring match under the trigram tokenizer; quotes are doubled.
        phrase = '"' + q.replace('"', '""') + '"'
        return col(Product.id).in_(FTS_IDS.bindparams(phrase=phrase))
    # PostgreSQL's GIN trigram index serves ILIKE; under 3 characters this scans the catalogue.
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return SEARCH_TEXT.ilike(f"%{escaped}%", escape="\\")
