"""The courier's side before the goods: online switch, location, offers, accept and decline.

`update_location` is the busiest write (every courier every few seconds): the point checked
against cached city areas, then one UPDATE of the courier row and, only while he holds a
delivery, one INSERT into the trail (on PostgreSQL both in one statement).
"""

from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlmodel import Session, col

from service.cities.service import city_id_for_point
from service.db import lazy_commit
from service.deliveries.lifecycle import lock_delivery, release_courier, state_conflict
from service.deliveries.models import ASSIGNED, OFFERED, WAITING, CourierLocation, Delivery
from service.errors import Conflict, NotFound
from service.orders import states
from service.orders.models import Order
from service.people.models import Courier

COURIERS, TRAIL = Courier.__table__, CourierLocation.__table__
MOVE_COURIER = (
    update(COURIERS)
    .where(COURIERS.c.id == bindparam("courier_id"))
    .values(
        last_lat=bindparam("lat"),
        last_lon=bindparam("lon"),
        last_accuracy_m=bindparam("accuracy_m"),
        last_heading=bindparam("heading"),
        last_seen_at=bindparam("at"),
    )
    .returning(COURIERS.c.id, COURIERS.c.city_id, COURIERS.c.held)
)
ADD_TRAIL = insert(TRAIL).values(
    courier_id=bindparam("courier_id"),
    city_id=bindparam("city_id"),
    lat=bindparam("lat"),
    lon=bindparam("lon"),
    accuracy_m=bindparam("accuracy_m"),
    at=bindparam("at"),
)


def _move_and_trail():
    # PostgreSQL: the trail point rides in the same statement, only while he holds a delivery.
    moved = MOVE_COURIER.cte("moved")
    point = [bindparam("lat"), bindparam("lon"), bindparam("accuracy_m"), bindparam("at")]
    trail = (
        insert(TRAIL)
        .from_select(
            ["courier_id", "city_id", "lat", "lon", "accuracy_m", "at"],
            select(moved.c.id, moved.c.city_id, *point).where(moved.c.held > 0),
        )
        .cte("trail")
    )
    return select(moved.c.id, moved.c.held).add_cte(trail)


MOVE_AND_TRAIL = _move_and_trail()


def set_online(*, session: Session, courier_id: int, online: bool) -> Courier:
    """Go online (dispatch may offer him jobs) or offline (it may not)."""
    courier = session.get(Courier, courier_id)
    courier.status = "idle" if online else "offline"
    session.flush()
    return courier


def update_location(
    *,
    session: Session,
    courier_id: int,
    lat: float,
    lon: float,
    accuracy_m: float | None,
    heading: float | None,
    now: datetime,
) -> int:
    """Store the courier's last position, with a trail point while he holds a delivery; answer
    how many deliveries he holds (offers included)."""
    city_id_for_point(session=session, lat=lat, lon=lon)  # 422 outside every city
    # A position is overwritten within seconds: a database crash may lose the last ones.
    lazy_commit(session)
    params = {
        "courier_id": courier_id,
        "lat": lat,
        "lon": lon,
        "accuracy_m": accuracy_m,
        "heading": heading,
        "at": now,
    }
    if session.get_bind().dialect.name == "postgresql":
        return session.execute(MOVE_AND_TRAIL, params).one().held
    moved = session.execute(MOVE_COURIER, params).one()  # SQLite: in-process, no round trip
    if moved.held:
        session.execute(ADD_TRAIL, {**params, "city_id": moved.city_id})
    return moved.held


def offers(*, session: Session, courier_id: int, now: datetime) -> list[Delivery]:
    """The courier's open offers, soonest to expire first."""
    query = (
        select(Delivery)
        .where(
            col(Delivery.courier_id) == courier_id,
            col(Delivery.status) == OFFERED,
            col(Delivery.offer_expires_at) > now,
        )
        .order_by(col(Delivery.offer_expires_at))
    )
    return list(session.execute(query).scalars())


def own_delivery(session: Session, courier_id: int, delivery_id: int) -> Delivery:
    """The courier's delivery (offered or carried), or 404: another's is not revealed."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.courier_id != courier_id:
        raise NotFound(f"no delivery {delivery_id} of yours", field="delivery_id")
    return delivery


def own_locked(session: Session, courier_id: int, delivery_id: int) -> tuple[Delivery, Order]:
    """The courier's delivery and its order under their locks (store, order, delivery)."""
    own_delivery(session, courier_id, delivery_id)  # 404 before any lock is taken
    delivery, order = lock_delivery(session, delivery_id)
    if delivery.courier_id != courier_id:  # the offer was withdrawn meanwhile
        raise state_conflict(delivery, delivery.status)
    return delivery, order


def accept_offer(*, session: Session, courier_id: int, delivery_id: int, now: datetime) -> Delivery:
    """Take the offer while it is open; 409 when it expired or was withdrawn."""
    delivery, order = own_locked(session, courier_id, delivery_id)
    taken = session.execute(
        update(Delivery)
        .where(
            col(Delivery.id) == delivery_id,
            col(Delivery.courier_id) == courier_id,
            col(Delivery.status) == OFFERED,
            col(Delivery.offer_expires_at) > now,
        )
        .values(status=ASSIGNED, accepted_at=now)
    ).rowcount
    session.refresh(delivery)
    if taken != 1:
        if delivery.status == OFFERED:
            raise Conflict(
                "the offer has expired",
                code="offer_expired",
                field="delivery_id",
                details={"status": delivery.status},
            )
        raise state_conflict(delivery, ASSIGNED)
    courier = session.get(Courier, courier_id)
    data = {"courier_id": courier_id, "courier_name": first_name(courier.name)}
    states.record(
        session,
        order,
        kind="courier_assigned",
        actor_role="courier",
        actor_id=courier_id,
        now=now,
        data=data,
    )
    return delivery


def decline_offer(
    *, session: Session, courier_id: int, delivery_id: int, now: datetime
) -> Delivery:
    """Hand the offer back: the order goes to a later tick, never again to this courier."""
    delivery = own_delivery(session, courier_id, delivery_id)
    if not pass_offer(session, delivery):
        session.refresh(delivery)
        raise state_conflict(delivery, WAITING)
    session.refresh(delivery)
    return delivery


def pass_offer(session: Session, delivery: Delivery, *, lapsed: bool = False) -> bool:
    """OFFERED back to WAITING, remembering the courier: one who declined is never offered it
    again; one who let it lapse (`lapsed`) is, once the others in reach had their chance."""
    courier_id = delivery.courier_id  # the update below clears it on the loaded object too
    remember = (
        {"lapsed_courier_ids": [*(delivery.lapsed_courier_ids or ()), courier_id]}
        if lapsed
        else {"passed_courier_ids": [*(delivery.passed_courier_ids or ()), courier_id]}
    )
    back = session.execute(
        update(Delivery)
        .where(
            col(Delivery.id) == delivery.id,
            col(Delivery.status) == OFFERED,
            col(Delivery.courier_id) == courier_id,
        )
        .values(status=WAITING, courier_id=None, offered_at=None, offer_expires_at=None, **remember)
    ).rowcount
    if back:
        release_courier(session, courier_id)
    return bool(back)


def first_name(name: str) -> str:
    """What a consumer sees of the courier's name (赵师傅, or the first word)."""
    return name.split()[0] if name else ""
