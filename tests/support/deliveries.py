"""Test data for deliveries: couriers at points, operators, the store side by service calls."""

import math
import secrets
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlmodel import Session

from service.auth.models import ApiToken, Role
from service.auth.service import hash_token, issue_token
from service.campaigns.models import Campaign
from service.cities.models import City
from service.geo import KM_PER_DEGREE_LAT
from service.orders import states
from service.orders.models import Order
from service.people.models import Courier, Operator
from tests.support.factories import TEST_CENTRE, make_city, make_consumers, make_store
from tests.support.payments import place_and_pay


def point(city: City, north_km: float, east_km: float = 0.0) -> tuple[float, float]:
    """The point `north_km` north and `east_km` east of the city centre."""
    lat = city.center_lat + north_km / KM_PER_DEGREE_LAT
    return lat, city.center_lon + east_km / (KM_PER_DEGREE_LAT * math.cos(math.radians(lat)))


def make_couriers(
    session: Session, city: City, offsets: list[tuple[float, float]], now: datetime, **fields
) -> list[tuple[int, str]]:
    """Online couriers at (north_km, east_km) offsets, seen `now`: [(id, token)]."""
    tag = secrets.token_hex(3)
    rows = []
    for n, (north, east) in enumerate(offsets):
        lat, lon = point(city, north, east)
        rows.append(
            {
                "city_id": city.id,
                "name": f"骑手{n}",
                "phone": f"c{tag}{n:06d}",
                "status": "idle",
                "last_lat": lat,
                "last_lon": lon,
                "last_seen_at": now,
                **fields,
            }
        )
    ids = session.execute(insert(Courier).returning(Courier.id), rows).scalars().all()
    tokens = [f"hd_{secrets.token_urlsafe(32)}" for _ in ids]
    session.execute(
        insert(ApiToken),
        [
            {
                "token_hash": hash_token(t),
                "role": "courier",
                "principal_id": cid,
                "label": "test",
                "created_at": now,
            }
            for cid, t in zip(ids, tokens, strict=True)
        ],
    )
    return list(zip(ids, tokens, strict=True))


def make_operator(session: Session, now: datetime, city_id: int | None = None) -> str:
    """An operator (platform-wide unless `city_id`) and a token for him."""
    operator = Operator(name=f"op-{secrets.token_hex(4)}", city_id=city_id)
    session.add(operator)
    session.flush()
    return issue_token(session=session, role=Role.OPERATOR, principal_id=operator.id, now=now)[1]


def store_moves(session: Session, order_id: int, to: str, now: datetime) -> Order:
    """The store's side (accept, ready) through the order state machine; an auto_accept store's
    order is ACCEPTED already."""
    order = session.get(Order, order_id)
    if order.status == to == states.ACCEPTED:
        return order
    states.move(session, order, to, actor_role="store", actor_id=order.store_id, now=now)
    return order


def backdate(session: Session, order_id: int, minutes: int) -> None:
    """Make an order's promise lie `minutes` in the past (a late order)."""
    order = session.get(Order, order_id)
    order.promised_at = order.promised_at - timedelta(minutes=60 + minutes)
    session.flush()


def compensation_budget(session: Session, city_id: int) -> Campaign | None:
    """The city's platform compensation campaign, if it exists yet."""
    from service.deliveries.compensation import _find

    found = _find(session, city_id)
    return found[0] if found else None


HOME = {"lat": TEST_CENTRE[0], "lon": TEST_CENTRE[1], "address": "测试路100号"}
BODY = {"items": [{"sku": "BAK-0001", "qty": 2}], "payment_method": "wechat", **HOME}


def offered_job(client, session: Session, clock) -> dict:
    """An accepted order (test city, one store) offered to the nearer of two couriers."""
    from service.deliveries import dispatch

    test_city = make_city(session)
    store = make_store(session, test_city, 1.0, stock={"BAK-0001": (10, 4800)})
    ((consumer_id, consumer_token),) = make_consumers(session, 1, clock.now())
    couriers = make_couriers(session, test_city, [(1.1, 0), (3.0, 0)], clock.now())
    session.commit()
    consumer = {"Authorization": f"Bearer {consumer_token}"}
    placed = place_and_pay(client, BODY, consumer, "j")
    order = placed.json["order"]
    store_moves(session, order["id"], "ACCEPTED", clock.now())
    dispatch.tick(session=session, city_id=test_city.id, now=clock.now())
    session.commit()
    (mine, my_token), (_, other_token) = couriers
    return {
        "order": order,
        "store": store,
        "city": test_city,
        "consumer": consumer,
        "consumer_id": consumer_id,
        "courier_id": mine,
        "me": {"Authorization": f"Bearer {my_token}"},
        "other": {"Authorization": f"Bearer {other_token}"},
    }


def carried(client, session: Session, clock, job: dict) -> int:
    """Accept the offer, the store readies the order, pick it up: the delivery's id."""
    (offer,) = client.get("/v1/courier/offers", headers=job["me"]).json["deliveries"]
    client.post(f"/v1/courier/offers/{offer['id']}/accept", headers=job["me"])
    store_moves(session, job["order"]["id"], "READY", clock.now())
    session.commit()
    client.post(f"/v1/courier/deliveries/{offer['id']}/picked-up", headers=job["me"])
    return offer["id"]
