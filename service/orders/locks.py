"""The one lock order of every use case that changes an order, and the function that takes it.

    store -> order -> delivery -> courier -> stock rows -> coupon -> campaign (-> batch)

A writer takes the rows it needs in this order and never goes back to an earlier kind: a use
case acting on an order first locks its store row, then the order row (`lock_order`), and only
then reads the order's status and decides. Two actors on one order therefore queue on the
store row, and the second one reads what the first committed: a lost race is a 409 naming the
current status, never a write on a stale read. The store row is the one every order write
holds anyway (the tablet feed's event ids commit in order under it, see states.record), so
taking it first adds no waiting. The courier's delivery paths lock through `lock_delivery`
(store -> order -> delivery). SQLite serialises writers (BEGIN IMMEDIATE); FOR UPDATE is a
no-op there and the same code reads the committed state.

Every row lock is FOR NO KEY UPDATE (`with_for_update(key_share=True)`): lockers still queue on
each other, but a foreign-key check of another transaction (FOR KEY SHARE on the parent row,
e.g. a dispatch tick inserting an order event while a payment holds the store) does not wait
for it. With plain FOR UPDATE those checks closed deadlock cycles on PostgreSQL between
payment notifications, courier accepts and the dispatch tick. No writer changes a key.

Which rows each use case locks is listed in docs/locking.md.
"""

from sqlalchemy import bindparam, select
from sqlmodel import Session, col

from service.errors import Conflict, NotFound
from service.orders.models import Order
from service.stores.models import Store

STORE_OF = select(Order.store_id).where(col(Order.id) == bindparam("of_order"))
LOCK_STORE = (
    select(Store.id).where(col(Store.id) == bindparam("at_store")).with_for_update(key_share=True)
)
TRIES = 3  # a re-match moving the order to another store between the read and the lock


def lock_store(session: Session, store_id: int) -> None:
    """Hold the store row: the first lock of every order, feed-event and stock write."""
    session.connection().execute(LOCK_STORE, {"at_store": store_id})


def lock_order(session: Session, order_id: int, *, store_id: int | None = None) -> Order:
    """The order, re-read with its store row and then its own row locked; 404 when missing
    (or, with `store_id`, not at that store)."""
    conn = session.connection()
    for _ in range(TRIES):
        at_store = conn.execute(STORE_OF, {"of_order": order_id}).scalar()
        if at_store is None or store_id not in (None, at_store):
            raise NotFound(
                f"no order {order_id}" + (" at this store" if store_id else ""), field="order_id"
            )
        conn.execute(LOCK_STORE, {"at_store": at_store})
        order = session.execute(
            select(Order)
            .where(col(Order.id) == order_id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        ).scalar_one()
        if order.store_id == at_store:
            return order
    raise Conflict(
        "the order moved to another store meanwhile; reload it",
        code="invalid_transition",
        details={"status": order.status},
    )


def expect_status(order: Order, allowed, action: str) -> None:
    """409 naming the order's current status unless it is one of `allowed`."""
    if order.status not in allowed:
        raise Conflict(
            f"an order that is {order.status} cannot be {action}",
            code="invalid_transition",
            field="status",
            details={"status": order.status},
        )
