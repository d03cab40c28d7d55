"""The product search index's own database objects, which no model declares.

SQLite's FTS5 table (and the shadow tables FTS5 keeps beside it) and PostgreSQL's trigram
index are built by migration 0007 (rebuilt by 0014b, which adds the gazetteer's); schema
comparisons and autogenerate leave them alone.
"""

SEARCH_TABLE = "products_search"
SEARCH_INDEX = "ix_products_search_trgm"
PLACES_TABLE = "places_search"  # the gazetteer's, built by migration 0014b
PLACES_INDEX = "ix_places_search_trgm"


def is_search_object(name: str | None, type_: str) -> bool:
    """True for the search indexes' tables and indexes (Alembic's include_name signature)."""
    if type_ == "table":
        return any(
            name == table or (name or "").startswith(table + "_")
            for table in (SEARCH_TABLE, PLACES_TABLE)
        )
    return type_ == "index" and name in (SEARCH_INDEX, PLACES_INDEX)
