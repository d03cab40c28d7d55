"""Matching refusals per city, city-local day and reason: a counter that outlives the refusal.

A refused order's transaction rolls back, so the count is written after it, in a short
transaction of its own (`DomainError.after_rollback`, run by web/errors.py).
"""

from datetime import date

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from service.orders.models import MatchingRefusal

NO_STORES = "no_stores"  # the city had no store to count under any reason


def count_refusal(*, session: Session, city_id: int, day: date, reasons: dict[str, int]) -> None:
    """One refused order more under each reason that counted a store (one upsert statement)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    rows = [
        {"city_id": city_id, "day": day, "reason": reason, "orders": 1, "stores": stores}
        for reason, stores in (reasons or {NO_STORES: 0}).items()
    ]
    insert = dialect.insert(MatchingRefusal).values(rows)
    table = MatchingRefusal.__table__
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["city_id", "day", "reason"],
            set_={
                "orders": table.c.orders + insert.excluded.orders,
                "stores": table.c.stores + insert.excluded.stores,
            },
        )
    )
