"""Reserving and releasing a store's stock for an order, by conditional updates."""

from sqlalchemy import bindparam, update
from sqlmodel import Session, col

from service.catalog.models import StoreStock
from service.stores.models import Store

# Bind names differ from column names on purpose: in an UPDATE they would become SET values.
RESERVE = (
    update(StoreStock)
    .where(col(StoreStock.store_id) == bindparam("at_store"),
           col(StoreStock.product_id) == bindparam("of_product"),
           col(StoreStock.on_hand) - col(StoreStock.reserved) >= bindparam("take"))
    .values(reserved=col(StoreStock.reserved) + bindparam("take"))
)  # fmt: skip
RELEASE = (
    update(StoreStock)
    .where(col(StoreStock.store_id) == bindparam("at_store"),
           col(StoreStock.product_id) == bindparam("of_product"))
    .values(reserved=col(StoreStock.reserved) - bindparam("take"))
)  # fmt: skip
TAKE_SLOT = (
    update(Store)
    .where(col(Store.id) == bindparam("at_store"),
           col(Store.open_orders) < col(Store.max_open_orders))
    .values(open_orders=col(Store.open_orders) + 1)
)  # fmt: skip
FREE_SLOT = (
    update(Store).where(col(Store.id) == bindparam("at_store"), col(Store.open_orders) > 0)
    .values(open_orders=col(Store.open_orders) - 1)
)  # fmt: skip


def reserve(session: Session, store_id: int, qty: dict[int, int]) -> bool:
    """Reserve every line and an order slot at the store, or nothing (False) on a lost race."""
    conn = session.connection()
    savepoint = conn.begin_nested()
    for product_id, take in qty.items():
        params = {"at_store": store_id, "of_product": product_id, "take": take}
        if conn.execute(RESERVE, params).rowcount != 1:
            savepoint.rollback()
            return False
    if conn.execute(TAKE_SLOT, {"at_store": store_id}).rowcount != 1:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def release(session: Session, store_id: int, qty: dict[int, int]) -> None:
    """Give the reserved lines and the order slot back to the store."""
    conn = session.connection()
    conn.execute(RELEASE, [{"at_store": store_id, "of_product": p, "take": q}
                           for p, q in qty.items()])  # fmt: skip
    conn.execute(FREE_SLOT, {"at_store": store_id})
