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

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from scipy.optimize import linear_sum_assignment
from sqlalchemy import case, select, text, update
from sqlmodel import Session, col

from service.cities.service import cached_city
from service.deliveries.courier import pass_offer
from service.deliveries.models import OFFERED, WAITING, Delivery
from service.failpoints import failpoint
from service.orders import states
from service.orders.models import Order
from service.people.models import Courier
from service.stores.models import Store

EARTH_KM = 6371.0088
LOCK_SPACE = 0x0D15  # advisory lock namespace: (LOCK_SPACE, city id)


@dataclass
class Snapshot:
    """What one tick sees: waiting jobs (oldest first) and free couriers, as arrays."""

    delivery_ids: list[int] = field(default_factory=list)
    store_points: list[tuple[float, float]] = field(default_factory=list)
    passed: list[set[int]] = field(default_factory=list)
    lapsed: list[set[int]] = field(default_factory=list)
    courier_ids: list[int] = field(default_factory=list)
    courier_points: list[tuple[float, float]] = field(default_factory=list)
    free: list[int] = field(default_factory=list)


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


def distance_matrix(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> np.ndarray:
    """Great-circle km between every point of `a` (rows) and `b` (columns), vectorised."""
    pa, pb = np.radians(np.asarray(a, float)), np.radians(np.asarray(b, float))
    dlat = pa[:, None, 0] - pb[None, :, 0]
    dlon = pa[:, None, 1] - pb[None, :, 1]
    h = (
        np.sin(dlat / 2) ** 2
        + np.cos(pa[:, None, 0]) * np.cos(pb[None, :, 0]) * np.sin(dlon / 2) ** 2
    )
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def plausible_costs(snap: Snapshot, radius_km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows kept, courier slot columns, cost) with implausible pairs at +inf.

    A courier with room for k more appears as k columns. Rows: the oldest jobs with at least
    one plausible courier, as many as there are slots (older orders are served first).
    """
    if not snap.delivery_ids or not snap.courier_ids:
        return np.empty(0, int), np.empty(0, int), np.empty((0, 0))
    km = distance_matrix(snap.store_points, snap.courier_points)
    km[km > radius_km] = np.inf
    column_of = {courier_id: n for n, courier_id in enumerate(snap.courier_ids)}
    for row, passed in enumerate(snap.passed):
        km[row, [column_of[c] for c in passed if c in column_of]] = np.inf
        _bar_lapsed(km[row], [column_of[c] for c in snap.lapsed[row] if c in column_of])
    slots = np.repeat(np.arange(len(snap.courier_ids)), snap.free)
    rows = np.flatnonzero(np.isfinite(km).any(axis=1))[: len(slots)]
    return rows, slots, km[np.ix_(rows, slots)]


def _bar_lapsed(row: np.ndarray, lapsed: list[int]) -> None:
    """Couriers who let the offer lapse are barred while another free courier in reach has
    not had it; once none has, they may get it again (a lapse is not a refusal)."""
    if not lapsed:
        return
    others = np.isfinite(row)
    others[lapsed] = False
    if others.any():
        row[lapsed] = np.inf


def batch_pairs(snap: Snapshot, radius_km: float) -> list[tuple[int, int]]:
    """Min-cost assignment over plausible pairs: [(delivery id, courier id)]."""
    rows, slots, cost = plausible_costs(snap, radius_km)
    if cost.size == 0:
        return []
    # linear_sum_assignment needs finite costs: a large one marks the forbidden pairs, which
    # it then uses only when nothing else is left, and those are dropped.
    big = (np.nanmax(cost[np.isfinite(cost)]) + 1) * (len(rows) + 1)
    r, c = linear_sum_assignment(np.where(np.isfinite(cost), cost, big))
    keep = np.isfinite(cost[r, c])
    return [
        (snap.delivery_ids[rows[i]], snap.courier_ids[slots[j]])
        for i, j in zip(r[keep], c[keep], strict=True)
    ]


def greedy_pairs(snap: Snapshot, radius_km: float) -> list[tuple[int, int]]:
    """The baseline: oldest order first takes the nearest free plausible courier."""
    rows, slots, cost = plausible_costs(snap, radius_km)
    cost = cost.copy()
    pairs = []
    for i in range(len(rows)):
        j = int(np.argmin(cost[i]))
        if np.isfinite(cost[i, j]):
            pairs.append((snap.delivery_ids[rows[i]], snap.courier_ids[slots[j]]))
            cost[:, j] = np.inf
    return pairs


def distance_total(snap: Snapshot, pairs: list[tuple[int, int]]) -> float:
    """Total courier-to-store km of the pairs (to compare methods on one snapshot)."""
    store = dict(zip(snap.delivery_ids, snap.store_points, strict=True))
    at = dict(zip(snap.courier_ids, snap.courier_points, strict=True))
    if not pairs:
        return 0.0
    km = distance_matrix([store[d] for d, _ in pairs], [at[c] for _, c in pairs])
    return float(np.trace(km))


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
