"""Database layer: engine set-up per engine kind, column types, the one place sessions commit."""

import service.db.metadata  # noqa: F401  (naming convention before any table)
from service.db.engine import make_engine, normalise_url
from service.db.session import Database, lazy_commit
from service.db.types import UTCDateTime

__all__ = ["Database", "UTCDateTime", "lazy_commit", "make_engine", "normalise_url"]
