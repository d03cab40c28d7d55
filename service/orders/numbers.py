"""Order numbers a store and a courier can say to each other: the store's daily sequence.

An order gets the next number of its store's city-local day when it arrives there (placed, or
re-routed from another store), so "number 17" names one order at that store that day. The
store row is already locked by then (its order slot was just taken), so two orders never draw
the same number.
"""

from datetime import datetime

from sqlalchemy import Date, bindparam, case, update
from sqlmodel import Session, col

from service.cities.service import cached_city, zone_named
from service.stores.models import Store

_DAY = bindparam("on_day", type_=Date)
NEXT_NUMBER = (
    update(Store)
    .where(col(Store.id) == bindparam("at_store"))
    .values(
        last_number=case((col(Store.number_day) == _DAY, col(Store.last_number) + 1), else_=1),
        number_day=_DAY,
    )
    .returning(col(Store.last_number))
)


def next_number(session: Session, *, city_id: int, store_id: int, now: datetime) -> int:
    """The store's next order number of the city-local day `now` falls on."""
    day = now.astimezone(zone_named(cached_city(session, city_id).timezone)).date()
    return (
        session.connection()
        .execute(NEXT_NUMBER, {"at_store": store_id, "on_day": day})
        .scalar_one()
    )


def number_text(order) -> str:
    """How the number is written (three digits at least); the order id for older orders."""
    return f"{order.store_number:03d}" if order.store_number is not None else str(order.id)
