"""Which catalogue products a query names, through the trigram index of each engine.

Migration 0014b builds the index: an FTS5 trigram table on SQLite, a pg_trgm GIN index on
PostgreSQL over SEARCH_TEXT (name, brand, spec and keywords: category names, generic words).
A trigram index cannot serve a query under 3 characters ("牛奶"): those scan the products
table, which is the catalogue (hundreds of rows), never the stock. Several words: each is
matched on its own and a product must hold every one.
"""

import functools

from sqlalchemy import Select, and_, bindparam, column, literal_column, select, text
from sqlmodel import Session, col

from service.catalog.models import Product
from service.db.search_objects import SEARCH_TABLE

MIN_INDEXED = 3  # characters: the shortest query a trigram index can serve
# Exactly the indexed expression of migration 0014b (a bound ' ' would hide it from the planner).
SEARCH_TEXT = literal_column(
    "(products.name || ' ' || products.brand || ' ' || products.spec || ' ' || products.keywords)"
)
PRODUCT_COLUMNS = (
    Product.id,
    Product.sku,
    Product.name,
    Product.brand,
    Product.spec,
    Product.category,
)
FTS_IDS = text(f"SELECT rowid FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH :phrase").columns(
    column("rowid")
)  # :phrase bound per search


def normalised(q: str | None) -> str:
    """The query as matched: trimmed, inner whitespace collapsed to one space."""
    return " ".join((q or "").split())


def matching_every_word(session: Session, *, q: str, category: str | None) -> list:
    """Rows of PRODUCT_COLUMNS holding every word of `q` ("伊利 牛奶": both), each word
    matched through the index as a query of its own."""
    found: dict | None = None
    for word in dict.fromkeys(q.split(" ")) if q else [""]:
        rows = {row.id: row for row in matching_products(session, q=word, category=category)}
        found = rows if found is None else {k: v for k, v in found.items() if k in rows}
        if not found:
            break
    return list((found or {}).values())


def matching_products(session: Session, *, q: str, category: str | None) -> list:
    """Rows of PRODUCT_COLUMNS whose name, brand or spec holds `q` (any case), in `category`."""
    fts = _by_fts(q, session.get_bind().dialect.name)
    params = {"category": category}
    if fts:
        params["phrase"] = _phrase(q)
    elif q:  # PostgreSQL's GIN trigram index serves ILIKE; under 3 characters it scans
        params["pattern"] = _pattern(q)
    statement = _statement(bool(category), "fts" if fts else "like" if q else "")
    return session.execute(statement, params).all()


@functools.cache
def _statement(in_category: bool, match: str) -> Select:
    """The products query of one shape, built and compiled once: building it per search cost
    ~0.3 ms."""
    query = select(*PRODUCT_COLUMNS)
    if in_category:
        query = query.where(col(Product.category) == bindparam("category"))
    if match == "fts":
        query = query.where(col(Product.id).in_(FTS_IDS))
    elif match == "like":
        query = query.where(SEARCH_TEXT.ilike(bindparam("pattern"), escape="\\"))
    return query


def text_matches(session: Session, q: str):
    """The condition "name, brand, spec or keywords hold every word of q", through the
    engine's trigram index (for a query built around it: a store's menu)."""
    return and_(*(_word_matches(session, word) for word in dict.fromkeys(q.split(" "))))


def _word_matches(session: Session, q: str):
    if _by_fts(q, session.get_bind().dialect.name):
        return col(Product.id).in_(FTS_IDS.bindparams(phrase=_phrase(q)))
    return SEARCH_TEXT.ilike(_pattern(q), escape="\\")


def _by_fts(q: str, dialect: str) -> bool:
    """Whether SQLite's FTS5 trigram table serves `q` (else PostgreSQL's GIN index serves its
    ILIKE, or under 3 characters the catalogue is scanned)."""
    return len(q) >= MIN_INDEXED and dialect == "sqlite"


def _phrase(q: str) -> str:
    """An FTS5 phrase: a substring match under the trigram tokenizer; quotes are doubled."""
    return '"' + q.replace('"', '""') + '"'


def _pattern(q: str) -> str:
    """An ILIKE pattern holding q anywhere, its wildcards escaped."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
