"""An order's payment succeeded: it is placed now (what placement did at creation before)."""

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col

from service.cities.service import cached_city, city_zone
from service.orders import states
from service.orders.lifecycle import rematch_order
from service.orders.models import Order
from service.orders.numbers import next_number
from service.orders.reach import PROMISE, polled_since
from service.stores.hours import open_between
from service.stores.models import Store


def place_paid(session: Session, *, order_id: int, now: datetime) -> Order | None:
    """AWAITING_PAYMENT -> PLACED (store re-checked, re-matched if it can no longer take it);
    None if the order was no longer waiting (cancelled or closed meanwhile)."""
    order = session.get(Order, order_id)
    waited = now - order.placed_at  # placed_at holds the creation time until it is paid
    moved = session.execute(
        update(Order)
        .where(col(Order.id) == order_id, col(Order.status) == states.AWAITING_PAYMENT)
        .values(
            status=states.PLACED,
            placed_at=now,
            promised_at=now + PROMISE,
            eta_at=order.eta_at + max(waited, timedelta(0)),
            updated_at=now,
        )
    ).rowcount
    if moved != 1:
        return None
    session.refresh(order)
    store = session.get(Store, order.store_id)
    order.store_number = next_number(session, city_id=order.city_id, store_id=store.id, now=now)
    session.flush()
    states.record(
        session,
        order,
        kind="placed",
        to_status=states.PLACED,
        actor_role="consumer",
        actor_id=order.consumer_id,
        now=now,
        data={"store_id": order.store_id},
    )
    if not store_can_take(session, store, now):  # closed, paused or gone quiet meanwhile
        rematch_order(
            session=session,
            order=order,
            reason="store_unavailable",
            actor_role="system",
            actor_id=None,
            now=now,
        )
        return order
    if store.intake_mode == states.AUTO_ACCEPT:  # accepted in the same breath; a courier sought
        states.move(session, order, states.ACCEPTED, actor_role="system", actor_id=None, now=now)
    return order


def store_can_take(session: Session, store: Store, now: datetime) -> bool:
    """Active, not paused, open for its preparation time, its tablet connected."""
    if not store.active or store.paused:
        return False
    if store.intake_mode == states.TABLET and (
        store.last_polled_at is None or store.last_polled_at < polled_since(now)
    ):
        return False
    local = now.astimezone(city_zone(cached_city(session, store.city_id)))
    return open_between(store.opening_hours, local, local + timedelta(minutes=store.prep_minutes))
