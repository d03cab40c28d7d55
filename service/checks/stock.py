"""Stock: each stock row's `reserved` is the units its store's open orders still hold, and each
store's `open_orders` is how many it has open. One statement each."""

from sqlalchemy import and_, func, select
from sqlmodel import Session, col

from service.catalog.models import StoreStock
from service.checks.differences import Difference
from service.orders.models import Order, OrderLine
from service.stores.models import Store

# unpaid orders hold their stock and slot too; picked up: the units were sold, not held
HOLDING = ("AWAITING_PAYMENT", "PLACED", "ACCEPTED", "READY")


def stock_differences(session: Session) -> list[Difference]:
    """reserved = the units (less short-picks) of the store's open orders (unpaid ones too)."""
    units = func.sum(func.coalesce(col(OrderLine.picked_qty), col(OrderLine.qty)))
    held = (
        select(
            col(Order.store_id).label("store_id"),
            col(OrderLine.product_id).label("product_id"),
            units.label("units"),
        )
        .join(Order, col(Order.id) == col(OrderLine.order_id))
        .where(col(Order.status).in_(HOLDING))
        .group_by(col(Order.store_id), col(OrderLine.product_id))
        .subquery()
    )
    expected = func.coalesce(held.c.units, 0)
    rows = session.execute(
        select(StoreStock.id, StoreStock.reserved, expected.label("expected"))
        .outerjoin(
            held,
            and_(
                held.c.store_id == col(StoreStock.store_id),
                held.c.product_id == col(StoreStock.product_id),
            ),
        )
        .where(col(StoreStock.reserved) != expected)
        .order_by(col(StoreStock.id))
    ).all()
    return [
        Difference("stock", "stock_row", r.id, "reserved", int(r.expected), r.reserved)
        for r in rows
    ]


def slot_differences(session: Session) -> list[Difference]:
    """open_orders = the store's open orders (unpaid ones too)."""
    open_ = (
        select(col(Order.store_id).label("store_id"), func.count().label("orders"))
        .where(col(Order.status).in_(HOLDING))
        .group_by(col(Order.store_id))
        .subquery()
    )
    expected = func.coalesce(open_.c.orders, 0)
    rows = session.execute(
        select(Store.id, Store.open_orders, expected.label("expected"))
        .outerjoin(open_, open_.c.store_id == col(Store.id))
        .where(col(Store.open_orders) != expected)
        .order_by(col(Store.id))
    ).all()
    return [
        Difference("slots", "store", r.id, "open_orders", int(r.expected), r.open_orders)
        for r in rows
    ]
