"""After placement: cancelling, and re-matching an order nobody accepted.

Both start with locks.lock_order (store row, then the order row) and decide on the status
read under that lock. Cancel then takes the delivery and its courier (states.follow_delivery),
the stock rows, the coupon and its campaign, in the order of service/orders/locks.py.
"""

from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from service.campaigns.redemption import release_order_coupon
from service.cities.service import cached_city
from service.errors import NotFound
from service.orders import ledger, matching, states
from service.orders.locks import expect_status, lock_order
from service.orders.models import Order, OrderLine
from service.orders.numbers import next_number
from service.orders.stock import release, reserve


def own_order(session: Session, *, consumer_id: int, order_id: int) -> Order:
    """The consumer's order, or 404 (someone else's order is not revealed)."""
    order = session.get(Order, order_id)
    if order is None or order.consumer_id != consumer_id:
        raise NotFound(f"no order {order_id} of yours", field="order_id")
    return order


def cancel_order(
    *,
    session: Session,
    order: Order,
    reason: str,
    actor_role: str,
    actor_id: int | None,
    now: datetime,
) -> Order:
    """Cancel from AWAITING_PAYMENT, PLACED, ACCEPTED or READY: stock, coupon and money all go
    back (once: the status is read under the order's lock, and every give-back is conditional)."""
    order = lock_order(session, order.id)
    expect_status(order, states.CANCELLABLE, "cancelled")
    states.move(
        session,
        order,
        states.CANCELLED,
        actor_role=actor_role,
        actor_id=actor_id,
        now=now,
        data={"reason": reason},
    )
    order.cancel_reason = reason
    _unwind(session, order, now)
    return order


def rematch_order(
    *,
    session: Session,
    order: Order,
    reason: str,
    actor_role: str,
    actor_id: int | None,
    now: datetime,
) -> Order:
    """Move a PLACED order to the next store that can take it; cancel it if none can."""
    order = lock_order(session, order.id)
    expect_status(order, (states.PLACED,), "re-matched")
    qty = line_quantities(session, order.id)
    release(session, order.store_id, qty)
    city = cached_city(session, order.city_id)
    want = matching.Want(qty, *matching.coupon_scope(session, order.coupon_id))
    for candidate in matching.find_candidates(
        session=session,
        city=city,
        lat=order.lat,
        lon=order.lon,
        want=want,
        now=now,
        exclude=frozenset(order.tried_store_ids),
    ):
        if reserve(session, candidate.store.id, qty, now):
            return _move_to(session, order, candidate, reason, actor_role, actor_id, now)
    states.record(
        session,
        order,
        kind="rematch_failed",
        actor_role=actor_role,
        actor_id=actor_id,
        now=now,
        data={"reason": reason},
    )
    states.move(
        session,
        order,
        states.CANCELLED,
        actor_role="system",
        actor_id=None,
        now=now,
        data={"reason": "no_store"},
    )
    order.cancel_reason = "no_store"
    _unwind(session, order, now, stock_released=True)
    return order


def line_quantities(session: Session, order_id: int) -> dict[int, int]:
    """product id -> units an order's lines still hold (less what was short-picked)."""
    units = func.coalesce(col(OrderLine.picked_qty), col(OrderLine.qty))
    rows = session.execute(
        select(OrderLine.product_id, units).where(col(OrderLine.order_id) == order_id)
    ).all()
    return {product_id: qty for product_id, qty in rows if qty}


def _move_to(session, order: Order, candidate, reason, actor_role, actor_id, now) -> Order:
    # The store losing the order sees it leave; the new one sees it arrive.
    from_store = order.store_id
    states.record(
        session,
        order,
        kind="reassigned_away",
        actor_role=actor_role,
        actor_id=actor_id,
        now=now,
        data={"reason": reason, "to_store_id": candidate.store.id},
    )
    order.store_id = candidate.store.id
    order.tried_store_ids = [*order.tried_store_ids, candidate.store.id]
    order.eta_at = candidate.eta
    order.updated_at = now
    order.store_number = next_number(
        session, city_id=order.city_id, store_id=candidate.store.id, now=now
    )
    session.flush()
    states.record(
        session,
        order,
        kind="reassigned",
        to_status=states.PLACED,
        actor_role=actor_role,
        actor_id=actor_id,
        now=now,
        store_locked=True,
        data={"reason": reason, "from_store_id": from_store},
    )
    if candidate.store.intake_mode == states.AUTO_ACCEPT:
        states.move(session, order, states.ACCEPTED, actor_role="system", actor_id=None, now=now)
    return order


def _unwind(session: Session, order: Order, now: datetime, stock_released: bool = False) -> None:
    if not stock_released:
        release(session, order.store_id, line_quantities(session, order.id))
    release_order_coupon(session=session, order=order, now=now)
    # what was paid and not yet given back goes back through the provider (nothing if unpaid)
    ledger.refund(session, order, now, order.cancel_reason or "cancelled", key="-cancel")
