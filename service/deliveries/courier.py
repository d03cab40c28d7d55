"""The courier's side before the goods: online switch, location, offers, accept and decline.

`update_location` is the hot write path (every courier every few seconds): prebuilt Core
statements, the point checked against cached city areas, then one UPDATE of the courier row
and, only while he holds a delivery, one INSERT into the trail.
"""

from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlmodel import Session, col

from service.auth.models import ApiToken
from service.auth.service import hash_token
from service.cities.service import city_id_for_point
from service.db.hot import HotStatement, connection_of
from service.deliveries.lifecycle import release_courier, state_conflict
from service.deliveries.models import ASSIGNED, OFFERED, WAITING, CourierLocation, Delivery
from service.errors import Conflict, NotFound
from service.orders import states
from service.orders.models import Order
from service.people.models import Courier

# The token names the courier inside the UPDATE: authorising and writing is one statement.
TOKEN_COURIER = (
    select(ApiToken.principal_id)
    .where(col(ApiToken.token_hash) == bindparam("token_hash"), col(ApiToken.role) == "courier",
           col(ApiToken.revoked_at).is_(None))
    .scalar_subquery()
)  # fmt: skip
MOVE_COURIER = HotStatement(
    update(Courier).where(col(Courier.id) == TOKEN_COURIER)
    .values(last_lat=bindparam("lat"), last_lon=bindparam("lon"),
            last_accuracy_m=bindparam("accuracy_m"), last_heading=bindparam("heading"),
            last_seen_at=bindparam("at"))
    .returning(col(Courier.id), col(Courier.city_id), col(Courier.held))
)  # fmt: skip
ADD_TRAIL = HotStatement(
    insert(CourierLocation).values(
        courier_id=bindparam("courier_id"), city_id=bindparam("city_id"), lat=bindparam("lat"),
        lon=bindparam("lon"), accuracy_m=bindparam("accuracy_m"), at=bindparam("at"))
)  # fmt: skip


def _move_and_trail():
    # PostgreSQL: the trail point rides in the same statement, only while he holds a delivery.
    moved = MOVE_COURIER.statement.cte("moved")
    point = [bindparam("lat"), bindparam("lon"), bindparam("accuracy_m"), bindparam("at")]
    trail = (
        insert(CourierLocation)
        .from_select(
            ["courier_id", "city_id", "lat", "lon", "accuracy_m", "at"],
            select(moved.c.id, moved.c.city_id, *point).where(moved.c.held > 0),
        )
        .cte("trail")
    )
    return select(moved.c.id, moved.c.held).add_cte(trail)


MOVE_AND_TRAIL = HotStatement(_move_and_trail())


def set_online(*, session: Session, courier_id: int, online: bool) -> Courier:
    """Go online (dispatch may offer him jobs) or offline (it may not)."""
    courier = session.get(Courier, courier_id)
    courier.status = "idle" if online else "offline"
    session.flush()
    return courier


def update_location(*, session: Session | Connection, secret: str, lat: float, lon: float,
                    accuracy_m: float | None, heading: float | None,
                    now: datetime) -> int | None:  # fmt: skip
    """Store the courier's last position (the token's courier), with a trail point while he
    holds a delivery; answer how many deliveries he holds (offers included), or None when the
    token names no courier (the caller explains why)."""
    city_id_for_point(session=session, lat=lat, lon=lon)  # 422 outside every city
    conn = connection_of(session)
    params = {"token_hash": hash_token(secret), "lat": lat, "lon": lon,
              "accuracy_m": accuracy_m, "heading": heading, "at": now}  # fmt: skip
    if conn.dialect.name == "postgresql":
        moved = MOVE_AND_TRAIL.first(conn, params)
        return None if moved is None else moved.held
    moved = MOVE_COURIER.first(conn, params)  # SQLite: in-process, no round trip
    if moved is not None and moved.held:
        ADD_TRAIL.all(conn, {"courier_id": moved.id, "city_id": moved.city_id, "lat": lat,
                             "lon": lon, "accuracy_m": accuracy_m, "at": now})  # fmt: skip
    return None if moved is None else moved.held


def offers(*, session: Session, courier_id: int, now: datetime) -> list[Delivery]:
    """The courier's open offers, soonest to expire first."""
    query = select(Delivery).where(
        col(Delivery.courier_id) == courier_id, col(Delivery.status) == OFFERED,
        col(Delivery.offer_expires_at) > now).order_by(col(Delivery.offer_expires_at))  # fmt: skip
    return list(session.execute(query).scalars())


def own_delivery(session: Session, courier_id: int, delivery_id: int) -> Delivery:
    """The courier's delivery (offered or carried), or 404: another's is not revealed."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.courier_id != courier_id:
        raise NotFound(f"no delivery {delivery_id} of yours", field="delivery_id")
    return delivery


def accept_offer(*, session: Session, courier_id: int, delivery_id: int,
                 now: datetime) -> Delivery:  # fmt: skip
    """Take the offer while it is open; 409 when it expired or was withdrawn."""
    delivery = own_delivery(session, courier_id, delivery_id)
    taken = session.execute(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id, col(Delivery.courier_id) == courier_id,
               col(Delivery.status) == OFFERED, col(Delivery.offer_expires_at) > now)
        .values(status=ASSIGNED, accepted_at=now)
    ).rowcount  # fmt: skip
    session.refresh(delivery)
    if taken != 1:
        if delivery.status == OFFERED:
            raise Conflict("the offer has expired", code="offer_expired", field="delivery_id",
                           details={"status": delivery.status})  # fmt: skip
        raise state_conflict(delivery, ASSIGNED)
    courier = session.get(Courier, courier_id)
    order = session.get(Order, delivery.order_id)
    data = {"courier_id": courier_id, "courier_name": first_name(courier.name)}
    states.record(session, order, kind="courier_assigned", actor_role="courier",
                  actor_id=courier_id, now=now, data=data)  # fmt: skip
    return delivery


def decline_offer(
    *, session: Session, courier_id: int, delivery_id: int, now: datetime
) -> Delivery:
    """Hand the offer back: the order goes to a later tick without this courier."""
    delivery = own_delivery(session, courier_id, delivery_id)
    if not pass_offer(session, delivery):
        session.refresh(delivery)
        raise state_conflict(delivery, WAITING)
    session.refresh(delivery)
    return delivery


def pass_offer(session: Session, delivery: Delivery) -> bool:
    """OFFERED back to WAITING, remembering the courier so he is not offered it again."""
    courier_id = delivery.courier_id  # the update below clears it on the loaded object too
    passed = [*delivery.passed_courier_ids, courier_id]
    back = session.execute(
        update(Delivery)
        .where(col(Delivery.id) == delivery.id, col(Delivery.status) == OFFERED,
               col(Delivery.courier_id) == courier_id)
        .values(status=WAITING, courier_id=None, offered_at=None, offer_expires_at=None,
                passed_courier_ids=passed)
    ).rowcount  # fmt: skip
    if back:
        release_courier(session, courier_id)
    return bool(back)


def first_name(name: str) -> str:
    """What a consumer sees of the courier's name (赵师傅, or the first word)."""
    return name.split()[0] if name else ""
