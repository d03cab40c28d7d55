"""Dispatch: one tick per city offers waiting deliveries to couriers in one min-cost batch.

A tick: withdraw expired offers (the courier is remembered and skipped later); read the waiting
deliveries of ACCEPTED/READY orders and the online couriers with a fresh position and room;
keep the oldest orders (as many as there are free slots) that have a plausible courier (within
the city's pickup radius, not one who declined or failed it, nor one who let it lapse while
another free courier in reach has not had it); solve the assignment minimising the total
courier-to-store distance (scipy's linear_sum_assignment); then write the offers with
conditional updates, so the database, not this process, decides: a delivery is offered only if
still WAITING, a courier takes it only if `held < capacity` and he is online. A courier who
loses that race hands the delivery straight back. On PostgreSQL the tick also takes a
transaction-level advisory lock per city and skips the city if another tick holds it.
"""

from datetime import datetime, timedelta

from sqlalchemy import case, select, text, update
from sqlmodel import Session, col

from service.cities.service import cached_city

# distance_total and greedy_pairs are re-exported: tests/bench/dispatch.py measures the batch
# against the greedy baseline through this module.
from service.deliveries.assignment import (
    Snapshot,
    batch_pairs,
    distance_matrix,
    distance_total,  # noqa: F401
    greedy_pairs,  # noqa: F401
)
from service.deliveries.courier import pass_offer
from service.deliveries.models import OFFERED, WAITING, Delivery
from service.failpoints import failpoint
from service.orders import states
from service.orders.models import Order
from service.people.models import Courier
from service.stores.models import Store

LOCK_SPACE = 0x0D15  # advisory lock namespace: (LOCK_SPACE, city id)


def tick(*, session: Session, city_id: int, now: datetime) -> int:
    """Run one dispatch tick for the city; returns offers expired plus offers made."""
    if not _city_lock(session, city_id):
        return 0
    changed = expire_offers(session=session, city_id=city_id, now=now)
    snapshot = read_snapshot(session, city_id, now)
    failpoint("dispatch.after_read")
    city = cached_city(session, city_id)
    pairs = batch_pairs(snapshot, city.pickup_radius_km)
    return changed + write_offers(session, snapshot, pairs, now, city.offer_timeout_s)


def cities_with_work(session: Session, now: datetime) -> list[int]:
    """Cities a tick would change: a delivery WAITING or an offer past its time (one read
    through the (city, status) index). A tick elsewhere finds nothing to expire or offer, so
    skipping it changes no assignment; it saves the scheduler a write transaction per idle
    city per tick (five a second each at 15x)."""
    return list(
        session.execute(
            select(Delivery.city_id)
            .distinct()
            .where(
                (col(Delivery.status) == WAITING)
                | ((col(Delivery.status) == OFFERED) & (col(Delivery.offer_expires_at) <= now))
            )
            .order_by(col(Delivery.city_id))
        ).scalars()
    )


def _city_lock(session: Session, city_id: int) -> bool:
    conn = session.connection()
    if conn.dialect.name != "postgresql":  # SQLite: BEGIN IMMEDIATE already serialises ticks
        return True
    query = text("SELECT pg_try_advisory_xact_lock(:space, :city)")
    return bool(conn.execute(query, {"space": LOCK_SPACE, "city": city_id}).scalar())


def expire_offers(*, session: Session, city_id: int, now: datetime) -> int:
    """Offers past their time go back to WAITING; the courier who let one lapse gets it again
    only after the other couriers in reach had their chance."""
    # All lapsed deliveries locked before any courier (service/orders/locks.py): else a cancel
    # holding one courier's other delivery could wait for him while this waits for it.
    query = (
        select(Delivery)
        .where(
            col(Delivery.city_id) == city_id,
            col(Delivery.status) == OFFERED,
            col(Delivery.offer_expires_at) <= now,
        )
        .order_by(col(Delivery.id))
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    expired = session.execute(query).scalars().all()
    return sum(pass_offer(session, d, lapsed=True) for d in expired)


# PICKED_UP: a failed delivery an operator sent out again (the goods wait at the store).
DISPATCHABLE = (states.ACCEPTED, states.READY, states.PICKED_UP)


def read_snapshot(session: Session, city_id: int, now: datetime) -> Snapshot:
    """Waiting deliveries of ACCEPTED/READY orders (and re-deliveries), and couriers fit to
    take one."""
    snap = Snapshot()
    jobs = session.execute(
        select(
            Delivery.id,
            Store.lat,
            Store.lon,
            Delivery.passed_courier_ids,
            Delivery.lapsed_courier_ids,
        )
        .join(Order, col(Order.id) == col(Delivery.order_id))
        .join(Store, col(Store.id) == col(Order.store_id))
        .where(
            col(Delivery.city_id) == city_id,
            col(Delivery.status) == WAITING,
            col(Order.status).in_(DISPATCHABLE),
        )
        .order_by(col(Order.placed_at), col(Delivery.id))
    ).all()
    for delivery_id, lat, lon, passed, lapsed in jobs:
        snap.delivery_ids.append(delivery_id)
        snap.store_points.append((lat, lon))
        snap.passed.append(set(passed or ()))
        snap.lapsed.append(set(lapsed or ()))
    for courier_id, lat, lon, free in fit_couriers(session, city_id, now):
        snap.courier_ids.append(courier_id)
        snap.courier_points.append((lat, lon))
        snap.free.append(free)
    return snap


def fit_couriers(session: Session, city_id: int, now: datetime) -> list:
    """Online couriers of the city with a fresh position and room: (id, lat, lon, free)."""
    fresh = now - timedelta(seconds=cached_city(session, city_id).location_fresh_s)
    return session.execute(
        select(
            Courier.id,
            Courier.last_lat,
            Courier.last_lon,
            col(Courier.capacity) - col(Courier.held),
        )
        .where(
            col(Courier.city_id) == city_id,
            col(Courier.status) != "offline",
            col(Courier.last_seen_at) >= fresh,
            col(Courier.held) < col(Courier.capacity),
        )
        .order_by(col(Courier.id))
    ).all()


def another_courier(
    session: Session, delivery: Delivery, store: tuple[float, float], now: datetime
) -> bool:
    """Whether a tick could offer the delivery to a courier it has not had (failed, declined
    or lapsed)."""
    barred = {
        delivery.courier_id,
        *(delivery.passed_courier_ids or ()),
        *(delivery.lapsed_courier_ids or ()),
    }
    points = [
        (lat, lon)
        for cid, lat, lon, _ in fit_couriers(session, delivery.city_id, now)
        if cid not in barred
    ]
    radius = cached_city(session, delivery.city_id).pickup_radius_km
    return bool(points) and bool((distance_matrix([store], points) <= radius).any())


def write_offers(
    session: Session, snap: Snapshot, pairs: list[tuple[int, int]], now: datetime, timeout_s: int
) -> int:
    """Offer each pair by conditional updates; a courier without room hands his back."""
    if not pairs:
        return 0
    to_courier = dict(pairs)
    offered = dict(
        session.execute(
            update(Delivery)
            .where(col(Delivery.id).in_(list(to_courier)), col(Delivery.status) == WAITING)
            .values(
                status=OFFERED,
                offered_at=now,
                offer_expires_at=now + timedelta(seconds=timeout_s),
                courier_id=case(to_courier, value=col(Delivery.id)),
            )
            .returning(col(Delivery.id), col(Delivery.courier_id))
        ).all()
    )
    wanted: dict[int, int] = {}
    for courier_id in offered.values():
        wanted[courier_id] = wanted.get(courier_id, 0) + 1
    if not wanted:
        return 0
    took = col(Courier.held) + case(wanted, value=col(Courier.id))
    got = set(
        session.execute(
            update(Courier)
            .where(
                col(Courier.id).in_(list(wanted)),
                col(Courier.status) != "offline",
                took <= col(Courier.capacity),
            )
            .values(held=took)
            .returning(col(Courier.id))
        ).scalars()
    )
    lost = [d for d, c in offered.items() if c not in got]
    if lost:  # the courier went offline or filled up meanwhile: the job waits for a later tick
        session.execute(
            update(Delivery)
            .where(col(Delivery.id).in_(lost))
            .values(status=WAITING, courier_id=None, offered_at=None, offer_expires_at=None)
        )
    return len(offered) - len(lost)
