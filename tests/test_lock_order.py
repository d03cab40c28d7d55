"""Every path that touches a store's slot and stock locks them in one order: store, then stock.

The opposite order in cancel deadlocked against a concurrent placement on PostgreSQL.
"""

from sqlalchemy import event, select

from service.catalog.models import Product
from service.orders import stock
from tests.support.factories import make_city, make_store


def tables_updated(session, action) -> list[str]:
    seen: list[str] = []

    def capture(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("UPDATE"):
            seen.append(statement.split()[1].strip('"'))

    engine = session.get_bind().engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return seen


def test_reserve_and_release_lock_the_store_before_its_stock(session, clock):
    store = make_store(session, make_city(session), 1.0,
                       stock={"BAK-0001": (5, 4800), "BAK-0002": (5, 1200)})  # fmt: skip
    ids = session.execute(select(Product.id).where(Product.sku.in_(["BAK-0001", "BAK-0002"])))
    qty = {product_id: 1 for product_id in ids.scalars()}
    reserving = tables_updated(session, lambda: stock.reserve(session, store.id, qty, clock.now()))
    releasing = tables_updated(session, lambda: stock.release(session, store.id, qty))
    assert reserving == ["stores", "store_stock"]
    assert releasing[0] == "stores" and set(releasing[1:]) == {"store_stock"}
