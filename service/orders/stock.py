"""Reserving and releasing a store's stock for an order, by conditional updates.

Lock order, for every writer of stock (orders here, syncs in service.sync, staff switches,
operators): the store row first (locks.lock_store, or an UPDATE of it), then its stock rows,
stores in id order. The stock-version triggers (migration 0012) update the store row after a
stock write; a writer that had not locked it first would take the two locks in the opposite
order to another and deadlock on PostgreSQL.
"""

from datetime import datetime

from sqlalchemy import bindparam, case, or_, update
from sqlmodel import Session, col

from service.catalog.models import StoreStock
from service.orders.locks import lock_store
from service.stores.models import Store

# Bind names differ from column names on purpose: in an UPDATE they would become SET values.
RELEASE = (
    update(StoreStock)
    .where(
        col(StoreStock.store_id) == bindparam("at_store"),
        col(StoreStock.product_id) == bindparam("of_product"),
    )
    .values(reserved=col(StoreStock.reserved) - bindparam("take"))
)
TAKE_SLOT = (
    update(Store)
    .where(
        col(Store.id) == bindparam("at_store"), col(Store.open_orders) < col(Store.max_open_orders)
    )
    .values(open_orders=col(Store.open_orders) + 1)
)
FREE_SLOT = (
    update(Store)
    .where(col(Store.id) == bindparam("at_store"), col(Store.open_orders) > 0)
    .values(open_orders=col(Store.open_orders) - 1)
)

SELL = (
    update(StoreStock)
    .where(
        col(StoreStock.store_id) == bindparam("at_store"),
        col(StoreStock.product_id) == bindparam("of_product"),
    )
    .values(
        reserved=col(StoreStock.reserved) - bindparam("take"),
        on_hand=case(
            (
                col(StoreStock.on_hand) > bindparam("take"),
                col(StoreStock.on_hand) - bindparam("take"),
            ),
            else_=0,
        ),
    )
)


def reserve(
    session: Session, store_id: int, qty: dict[int, int], now: datetime
) -> dict[int, int] | None:
    """Reserve every line and an order slot at the store: the prices they were reserved at
    (product id -> fen), or None and nothing reserved on a lost race.

    Lock order: the store row (its order slot), then stock rows in product-id order (the
    UPDATE walks the (store_id, product_id) unique index).
    """
    conn = session.connection()
    if conn.execute(TAKE_SLOT, {"at_store": store_id}).rowcount != 1:
        return None
    taken = dict(conn.execute(_reserve_lines(store_id, qty, now)).all())
    if len(taken) == len(qty):
        return taken
    # A lost race on some line: hand back the lines and the slot this attempt did take.
    release(session, store_id, {p: q for p, q in qty.items() if p in taken})
    return None


def _reserve_lines(store_id: int, qty: dict[int, int], now: datetime):
    """One UPDATE for every line; each row is taken only if enough of it is available (and
    staff have not marked it unavailable)."""
    take = case(*((col(StoreStock.product_id) == p, q) for p, q in qty.items()))
    return (
        update(StoreStock)
        .where(
            col(StoreStock.store_id) == store_id,
            col(StoreStock.product_id).in_(list(qty)),
            col(StoreStock.on_hand) - col(StoreStock.reserved) >= take,
            or_(
                col(StoreStock.unavailable_until).is_(None),
                col(StoreStock.unavailable_until) <= now,
            ),
        )
        .values(reserved=col(StoreStock.reserved) + take)
        .returning(col(StoreStock.product_id), col(StoreStock.price_fen))
    )


def release(session: Session, store_id: int, qty: dict[int, int]) -> None:
    """Give the reserved lines and the order slot back to the store.

    Locks in the same order as `reserve` (the store row, then its stock rows by product id):
    the opposite order deadlocked a cancel against a placement at the same store.
    """
    conn = session.connection()
    conn.execute(FREE_SLOT, {"at_store": store_id})
    release_lines(session, store_id, qty)


def release_lines(session: Session, store_id: int, qty: dict[int, int]) -> None:
    """Give reserved units back to the store's shelf (the order keeps its slot)."""
    if qty:
        # The store row first, then its stock rows: the lock order of every path (the
        # stock_version trigger of migration 0012 updates the store row after each statement).
        lock_store(session, store_id)
        rows = [{"at_store": store_id, "of_product": p, "take": qty[p]} for p in sorted(qty)]
        session.connection().execute(RELEASE, rows)


def sell(session: Session, store_id: int, qty: dict[int, int]) -> None:
    """The goods leave the shop: reserved and on_hand both drop (on_hand never below 0), and
    the order slot is freed. Same lock order as `reserve`."""
    conn = session.connection()
    conn.execute(FREE_SLOT, {"at_store": store_id})
    conn.execute(
        SELL, [{"at_store": store_id, "of_product": p, "take": qty[p]} for p in sorted(qty)]
    )
