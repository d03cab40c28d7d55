"""A store's own orders: the queue, the pick list, and accept / reject / ready.

accept, ready and reject lock the store row and then the order (locks.lock_order) and move
the order from the status read under that lock; a lost race is a 409 naming the status.
"""

from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlmodel import Session, col

from service.catalog.models import StoreStock
from service.cities.service import cached_city, zone_named
from service.errors import InvalidInput, NotFound
from service.orders import money, states
from service.orders.lifecycle import rematch_order
from service.orders.locks import lock_order
from service.orders.models import Order, OrderEvent, OrderLine
from service.orders.numbers import number_text
from service.orders.schemas import OrderEventRead
from service.payments.views import money_of
from service.stores.models import Store
from service.tablet.schemas import PickLineRead, StoreOrderRead

OPEN = (states.PLACED, states.ACCEPTED, states.READY)
QUEUE_LIMIT = 200


def store_order(session: Session, *, store_id: int, order_id: int) -> Order:
    """The store's order, or 404 (another store's order is not revealed)."""
    order = session.get(Order, order_id)
    if order is None or order.store_id != store_id:
        raise NotFound(f"no order {order_id} at this store", field="order_id")
    return order


def queue(*, session: Session, store_id: int, status: str | None) -> list[StoreOrderRead]:
    """The store's orders in `status` (default: every open one), oldest first."""
    wanted = (status,) if status else OPEN
    if status and status not in states.TRANSITIONS:
        raise InvalidInput(f"no status {status}", field="status")
    query = (
        select(Order)
        .where(col(Order.store_id) == store_id, col(Order.status).in_(wanted))
        .order_by(col(Order.id))
        .limit(QUEUE_LIMIT)
    )
    return [store_order_read(session, o) for o in session.execute(query).scalars()]


def store_order_read(session: Session, order: Order) -> StoreOrderRead:
    """The order as the store's staff see it: the pick list with the shelf's on-hand."""
    zone = zone_named(cached_city(session, order.city_id).timezone)
    shelf = and_(
        col(StoreStock.store_id) == order.store_id,
        col(StoreStock.product_id) == col(OrderLine.product_id),
    )
    lines = session.execute(
        select(OrderLine, StoreStock.on_hand)
        .outerjoin(StoreStock, shelf)
        .where(col(OrderLine.order_id) == order.id)
        .order_by(col(OrderLine.id))
    ).all()
    events = (
        session.execute(
            select(OrderEvent)
            .where(col(OrderEvent.order_id) == order.id)
            .order_by(col(OrderEvent.id))
        )
        .scalars()
        .all()
    )
    charged, refunded = money.ledger_totals(session, order.id)
    # the store sees what goes back as soon as it is asked of the provider
    refunded += money_of(session, order.id)["refund_pending_fen"]
    return StoreOrderRead(
        id=order.id,
        order_number=number_text(order),
        status=order.status,
        address=order.address,
        refund_fen=refunded,
        net_fen=charged - refunded,
        subtotal_fen=order.subtotal_fen,
        payable_fen=order.payable_fen,
        placed_at=order.placed_at.astimezone(zone),
        promised_at=order.promised_at.astimezone(zone),
        accept_by=_accept_by(session, order, events, zone),
        lines=[
            PickLineRead(
                id=line.id,
                sku=line.sku,
                name=line.name,
                qty=line.qty,
                picked_qty=line.picked_qty,
                unit_price_fen=line.unit_price_fen,
                on_hand=on_hand or 0,
            )
            for line, on_hand in lines
        ],
        events=[
            OrderEventRead(**{**e.model_dump(), "at": e.at.astimezone(zone)})
            for e in events
            if e.store_id == order.store_id
        ],
    )


def _accept_by(session, order: Order, events, zone) -> datetime | None:
    if order.status != states.PLACED:
        return None
    arrived = [
        e.at for e in events if e.store_id == order.store_id and e.kind in ("placed", "reassigned")
    ]
    timeout = session.get(Store, order.store_id).accept_timeout_s
    return (max(arrived) + timedelta(seconds=timeout)).astimezone(zone) if arrived else None


def accept(*, session: Session, store_id: int, order_id: int, now: datetime) -> Order:
    """PLACED -> ACCEPTED by the store's staff."""
    return _move(session, store_id, order_id, states.ACCEPTED, now)


def ready(*, session: Session, store_id: int, order_id: int, now: datetime) -> Order:
    """ACCEPTED -> READY: picked and packed."""
    return _move(session, store_id, order_id, states.READY, now)


def reject(*, session: Session, store_id: int, order_id: int, reason: str, now: datetime) -> Order:
    """The store refuses a PLACED order: it moves to the next store, or is cancelled."""
    order = lock_order(session, order_id, store_id=store_id)
    return rematch_order(
        session=session,
        order=order,
        reason=f"rejected:{reason}",
        actor_role="store",
        actor_id=store_id,
        now=now,
    )


def _move(session: Session, store_id: int, order_id: int, to: str, now: datetime) -> Order:
    order = lock_order(session, order_id, store_id=store_id)
    states.move(session, order, to, actor_role="store", actor_id=store_id, now=now)
    return order
