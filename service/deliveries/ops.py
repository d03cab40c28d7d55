"""Operators: unlock a locked delivery, settle failed ones, see late orders and the figures.

Settling a failed delivery (refund or redeliver) locks the store, the order and the delivery
first (lifecycle.lock_delivery), then the courier, the coupon and its campaign.
"""

from datetime import datetime

import numpy as np
from sqlalchemy import select, update
from sqlmodel import Session, col

from service.audit.service import audit_operator_change
from service.campaigns.redemption import release_order_coupon
from service.deliveries.dispatch import another_courier
from service.deliveries.lifecycle import lock_delivery, transition
from service.deliveries.models import DELIVERED, FAILED, PICKED_UP, WAITING, Delivery
from service.errors import Conflict, NotFound
from service.orders import ledger, states
from service.orders.models import Order
from service.people.models import Courier, Operator
from service.stores.models import Store

LIVE_UNDELIVERED = (states.PLACED, states.ACCEPTED, states.READY, states.PICKED_UP)


def operated_delivery(session: Session, operator: Operator, delivery_id: int) -> Delivery:
    """A delivery of the operator's city (a platform operator: any), or 404."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or operator.city_id not in (None, delivery.city_id):
        raise NotFound(f"no delivery {delivery_id}", field="delivery_id")
    return delivery


def unlock(*, session: Session, operator: Operator, delivery_id: int, now: datetime) -> Delivery:
    """Clear the wrong-code lock so the courier may try the code again (audited)."""
    delivery = operated_delivery(session, operator, delivery_id)
    if not delivery.locked:
        raise Conflict("the delivery is not locked", code="not_locked")
    old = {"locked": True, "wrong_codes": delivery.wrong_codes}
    unlocked = session.execute(
        update(Delivery)
        .where(col(Delivery.id) == delivery.id, col(Delivery.locked).is_(True))
        .values(locked=False, wrong_codes=0)
    ).rowcount
    session.refresh(delivery)
    if unlocked != 1:  # another operator unlocked it meanwhile
        raise Conflict(
            "the delivery is not locked", code="not_locked", details={"status": delivery.status}
        )
    _audit(
        session,
        operator,
        "delivery.unlock",
        delivery,
        now,
        old,
        {"locked": False, "wrong_codes": 0},
    )
    return delivery


def refund_failed(
    *, session: Session, operator: Operator, delivery_id: int, now: datetime
) -> Delivery:
    """A failed delivery's money goes back; the order is cancelled (the goods were sold)."""
    delivery, order = _failed(session, operator, delivery_id)
    states.move(
        session,
        order,
        states.CANCELLED,
        actor_role="operator",
        actor_id=operator.id,
        now=now,
        data={"reason": "delivery_failed"},
    )
    order.cancel_reason = "delivery_failed"
    release_order_coupon(session=session, order=order, now=now)
    ledger.refund(session, order, now, "delivery_failed", key="-failed")
    _audit(
        session,
        operator,
        "delivery.refund",
        delivery,
        now,
        {"status": FAILED},
        {"order_status": states.CANCELLED},
    )
    return delivery


def redeliver(*, session: Session, operator: Operator, delivery_id: int, now: datetime) -> Delivery:
    """Try the door again: dispatched afresh to another courier (the one who failed takes the
    goods back to the store), or, when no other courier could take it now, to the same one."""
    delivery, order = _failed(session, operator, delivery_id)
    failed_by = delivery.courier_id
    store = session.get(Store, order.store_id)
    reset = {"closed_at": None, "wrong_codes": 0, "locked": False, "fail_reason": None}
    if another_courier(session, delivery, (store.lat, store.lon), now):
        passed = [*(delivery.passed_courier_ids or ()), failed_by]  # never offered him again
        transition(
            session,
            delivery,
            WAITING,
            expect=(FAILED,),
            courier_id=None,
            offered_at=None,
            offer_expires_at=None,
            accepted_at=None,
            arrived_at=None,
            passed_courier_ids=passed,
            seeking_since=now,
            **reset,
        )
        dispatch = "afresh"
    else:
        transition(session, delivery, PICKED_UP, expect=(FAILED,), **reset)
        # Unconditional: he carries the goods whatever his capacity says.
        session.execute(
            update(Courier).where(col(Courier.id) == failed_by).values(held=col(Courier.held) + 1)
        )
        dispatch = "same_courier"
    data = {"dispatch": dispatch, "failed_courier_id": failed_by}
    states.record(
        session,
        order,
        kind="redelivery",
        actor_role="operator",
        actor_id=operator.id,
        now=now,
        data=data,
    )
    _audit(
        session,
        operator,
        "delivery.redeliver",
        delivery,
        now,
        {"status": FAILED},
        {"status": delivery.status, **data},
    )
    return delivery


def _failed(session: Session, operator: Operator, delivery_id: int) -> tuple[Delivery, Order]:
    operated_delivery(session, operator, delivery_id)  # 404 before any lock is taken
    delivery, order = lock_delivery(session, delivery_id)
    if delivery.status != FAILED or order.status != states.PICKED_UP:
        raise Conflict(
            f"the delivery is {delivery.status}, not an open failure",
            code="invalid_transition",
            details={"status": delivery.status},
        )
    return delivery, order


def failed_queue(*, session: Session, operator: Operator) -> list[tuple[Delivery, Order]]:
    """Failed deliveries waiting for a refund or a new attempt, oldest first."""
    query = (
        select(Delivery, Order)
        .join(Order, col(Order.id) == col(Delivery.order_id))
        .where(col(Delivery.status) == FAILED, col(Order.status) == states.PICKED_UP)
        .order_by(col(Delivery.closed_at))
    )
    if operator.city_id is not None:
        query = query.where(col(Delivery.city_id) == operator.city_id)
    return [tuple(row) for row in session.execute(query).all()]


def late_orders(*, session: Session, operator: Operator, now: datetime) -> list[Order]:
    """Orders past their promised time and still not delivered, latest promise last."""
    query = select(Order).where(
        col(Order.status).in_(LIVE_UNDELIVERED), col(Order.promised_at) < now
    )
    query = query.order_by(col(Order.promised_at))
    if operator.city_id is not None:
        query = query.where(col(Order.city_id) == operator.city_id)
    return list(session.execute(query.limit(500)).scalars())


def figures(
    *, session: Session, operator: Operator, since: datetime, until: datetime, city_id: int | None
) -> dict:
    """On-time rate and median / p90 minutes order-to-door, per city and per store."""
    city_id = operator.city_id or city_id
    query = (
        select(
            Order.city_id, Order.store_id, Order.placed_at, Order.promised_at, Delivery.delivered_at
        )
        .join(Delivery, col(Delivery.order_id) == col(Order.id))
        .where(
            col(Delivery.status) == DELIVERED,
            col(Delivery.delivered_at) >= since,
            col(Delivery.delivered_at) < until,
        )
    )
    if city_id is not None:
        query = query.where(col(Order.city_id) == city_id)
    rows = session.execute(query).all()
    by_city: dict[int, list] = {}
    by_store: dict[int, list] = {}
    for row in rows:
        by_city.setdefault(row.city_id, []).append(row)
        by_store.setdefault(row.store_id, []).append(row)
    names = dict(
        session.execute(select(Store.id, Store.name).where(col(Store.id).in_(list(by_store)))).all()
    )
    return {
        "cities": [{"city_id": k, **_summary(v)} for k, v in sorted(by_city.items())],
        "stores": [
            {"store_id": k, "store_name": names.get(k), **_summary(v)}
            for k, v in sorted(by_store.items())
        ],
    }


def _summary(rows: list) -> dict:
    minutes = np.array([(r.delivered_at - r.placed_at).total_seconds() / 60 for r in rows])
    on_time = sum(r.delivered_at <= r.promised_at for r in rows)
    return {
        "delivered": len(rows),
        "on_time": int(on_time),
        "on_time_rate": round(on_time / len(rows), 4),
        "p50_minutes": round(float(np.percentile(minutes, 50)), 1),
        "p90_minutes": round(float(np.percentile(minutes, 90)), 1),
    }


def _audit(session, operator: Operator, action: str, delivery: Delivery, now, old, new) -> None:
    audit_operator_change(
        session=session,
        operator_id=operator.id,
        action=action,
        target_type="delivery",
        target=delivery,
        now=now,
        old=old,
        new=new,
    )
