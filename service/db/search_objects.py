"""The product search index's own database objects, which no model declares.

SQLite's FTS5 table (and the shadow tables FTS5 keeps beside it) and PostgreSQL's trigram
index are built by migration 0007; schema comparisons and autogenerate leave them alone.
"""

SEARCH_TABLE = "products_search"
SEARCH_INDEX = "ix_products_search_trgm"


def is_search_object(name: str | None, type_: str) -> bool:
    """True for the search index's tables and index (Alembic's include_name signature)."""
    if type_ == "table":
        return name == SEARCH_TABLE or (name or "").startswith(SEARCH_TABLE + "_")
    return type_ == "index" and name == SEARCH_INDEX
