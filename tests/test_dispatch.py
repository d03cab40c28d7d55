"""Dispatch ticks in-process: batch beats greedy, offers expire, unfit couriers are skipped."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from service.deliveries import dispatch
from service.deliveries.models import Delivery
from service.people.models import Courier
from tests.support.deliveries import make_couriers, store_moves
from tests.support.factories import TEST_CENTRE, make_city, make_consumers, make_store
from tests.support.payments import place_and_pay

HOME = {"lat": TEST_CENTRE[0], "lon": TEST_CENTRE[1], "address": "测试路100号"}
BODY = {"items": [{"sku": "BAK-0001", "qty": 1}], "payment_method": "wechat", **HOME}


@pytest.fixture
def town(session, clock):
    test_city = make_city(session)
    people = make_consumers(session, 4, clock.now())
    session.commit()
    return test_city, [{"Authorization": f"Bearer {token}"} for _, token in people]


def accepted_order(client, session, clock, headers, store, key="k"):
    placed = place_and_pay(client, {**BODY, "store_id": store.id}, headers, key)
    assert placed.status_code == 201, placed.json
    store_moves(session, placed.json["order"]["id"], "ACCEPTED", clock.now())
    session.commit()
    return placed.json["order"]["id"]


def offers(session) -> dict[int, int | None]:
    """order id -> courier offered it."""
    session.expire_all()
    return dict(session.execute(select(Delivery.order_id, Delivery.courier_id)).all())


def test_batch_assignment_beats_greedy_where_greedy_is_provably_worse(client, session, clock, town):
    # Stores on a line at 0 km and 2 km north; couriers at 0.9 km and -1 km. Greedy (oldest
    # order first takes the nearest): A-0.9 (0.9 km), B--1 (3 km) = 3.9 km. Best: 1 + 1.1 = 2.1.
    test_city, headers = town
    store_a = make_store(session, test_city, 0.0)
    store_b = make_store(session, test_city, 2.0)
    first = accepted_order(client, session, clock, headers[0], store_a, "a")
    clock.advance(seconds=1)
    second = accepted_order(client, session, clock, headers[1], store_b, "b")
    (near, _), (far, _) = make_couriers(session, test_city, [(0.9, 0), (-1.0, 0)], clock.now())
    snap = dispatch.read_snapshot(session, test_city.id, clock.now())
    greedy = dispatch.distance_total(snap, dispatch.greedy_pairs(snap, 5.0))
    batch = dispatch.distance_total(snap, dispatch.batch_pairs(snap, 5.0))
    assert round(greedy, 1) == 3.9 and round(batch, 1) == 2.1
    assert dispatch.tick(session=session, city_id=test_city.id, now=clock.now()) == 2
    assert offers(session) == {first: far, second: near}


def test_expired_offer_goes_to_another_courier_on_a_later_tick(client, session, clock, town):
    test_city, headers = town
    store = make_store(session, test_city, 0.0)
    order_id = accepted_order(client, session, clock, headers[0], store)
    (slow, _), (other, _) = make_couriers(session, test_city, [(0.1, 0), (1.0, 0)], clock.now())
    dispatch.tick(session=session, city_id=test_city.id, now=clock.now())
    assert offers(session) == {order_id: slow}
    clock.advance(seconds=31)
    session.execute(Courier.__table__.update().values(last_seen_at=clock.now()))
    dispatch.tick(session=session, city_id=test_city.id, now=clock.now())
    assert offers(session) == {order_id: other}
    session.expire_all()
    assert session.get(Courier, slow).held == 0 and session.get(Courier, other).held == 1
    # A lapse, not a refusal: kept apart from declines, and he gets it back below.
    lapses = session.execute(select(Delivery.passed_courier_ids, Delivery.lapsed_courier_ids))
    assert tuple(lapses.one()) == ([], [slow])


def test_a_lapsed_offer_comes_back_once_every_other_courier_in_reach_had_it(
    client, session, clock, town
):
    test_city, headers = town
    store = make_store(session, test_city, 0.0)
    order_id = accepted_order(client, session, clock, headers[0], store)
    (slow, _), (other, _) = make_couriers(session, test_city, [(0.1, 0), (1.0, 0)], clock.now())
    for expected in (slow, other, slow):  # each lets it lapse in turn; then the nearest again
        session.execute(Courier.__table__.update().values(last_seen_at=clock.now()))
        dispatch.tick(session=session, city_id=test_city.id, now=clock.now())
        assert offers(session) == {order_id: expected}
        clock.advance(seconds=31)


def test_the_only_courier_in_reach_gets_a_lapsed_offer_again_but_never_a_declined_one(
    client, session, clock, town
):
    test_city, headers = town
    store = make_store(session, test_city, 0.0)
    lapsed = accepted_order(client, session, clock, headers[0], store, "l")
    ((only, token),) = make_couriers(session, test_city, [(0.1, 0)], clock.now(), capacity=1)
    dispatch.tick(session=session, city_id=test_city.id, now=clock.now())
    assert offers(session) == {lapsed: only}
    clock.advance(seconds=31)
    session.execute(Courier.__table__.update().values(last_seen_at=clock.now()))
    dispatch.tick(session=session, city_id=test_city.id, now=clock.now())
    assert offers(session) == {lapsed: only}
    (delivery_id,) = session.execute(select(Delivery.id)).scalars()
    declined = client.post(
        f"/v1/courier/offers/{delivery_id}/decline", headers={"Authorization": f"Bearer {token}"}
    )
    assert declined.status_code == 200, declined.json
    dispatch.tick(session=session, city_id=test_city.id, now=clock.now())
    assert offers(session) == {lapsed: None}


def test_the_scheduler_ticks_only_cities_with_a_waiting_delivery_or_a_lapsed_offer(
    client, session, clock, town
):
    test_city, headers = town
    store = make_store(session, test_city, 0.0)
    assert test_city.id not in dispatch.cities_with_work(session, clock.now())
    order_id = accepted_order(client, session, clock, headers[0], store)
    assert test_city.id in dispatch.cities_with_work(session, clock.now())
    ((rider, _),) = make_couriers(session, test_city, [(0.1, 0)], clock.now())
    dispatch.tick(session=session, city_id=test_city.id, now=clock.now())
    assert offers(session) == {order_id: rider}
    assert test_city.id not in dispatch.cities_with_work(session, clock.now())
    lapsed = clock.now() + timedelta(seconds=31)
    assert test_city.id in dispatch.cities_with_work(session, lapsed)


def test_stale_offline_and_full_couriers_are_skipped(client, session, clock, town):
    test_city, headers = town
    store = make_store(session, test_city, 0.0)
    order_id = accepted_order(client, session, clock, headers[0], store)
    now = clock.now()
    make_couriers(session, test_city, [(0.1, 0)], now - timedelta(seconds=61))  # stale
    make_couriers(session, test_city, [(0.1, 0)], now, status="offline")
    make_couriers(session, test_city, [(0.1, 0)], now, held=1)  # full at capacity 1
    make_couriers(session, test_city, [(6.0, 0)], now)  # beyond the pickup radius
    assert dispatch.tick(session=session, city_id=test_city.id, now=now) == 0
    ((fit, _),) = make_couriers(session, test_city, [(3.0, 0)], now)
    assert dispatch.tick(session=session, city_id=test_city.id, now=now) == 1
    assert offers(session) == {order_id: fit}


def test_a_courier_holds_no_more_offers_than_his_capacity(client, session, clock, town):
    test_city, headers = town
    store = make_store(session, test_city, 0.0)
    for n in range(3):
        accepted_order(client, session, clock, headers[n], store, f"k{n}")
    ((courier_id, _),) = make_couriers(session, test_city, [(0.1, 0)], clock.now(), capacity=2)
    assert dispatch.tick(session=session, city_id=test_city.id, now=clock.now()) == 2
    assert sorted(offers(session).values(), key=str) == [courier_id, courier_id, None]
    session.expire_all()
    assert session.get(Courier, courier_id).held == 2


def test_a_stale_snapshot_cannot_offer_twice_or_overfill_a_courier(client, session, clock, town):
    # A second tick that read before the first wrote: the conditional updates refuse it.
    test_city, headers = town
    store = make_store(session, test_city, 0.0)
    accepted_order(client, session, clock, headers[0], store, "a")
    make_couriers(session, test_city, [(0.1, 0), (0.2, 0)], clock.now())
    stale = dispatch.read_snapshot(session, test_city.id, clock.now())
    assert dispatch.tick(session=session, city_id=test_city.id, now=clock.now()) == 1
    pairs = dispatch.batch_pairs(stale, 5.0)
    assert dispatch.write_offers(session, stale, pairs, clock.now(), 30) == 0
    second = accepted_order(client, session, clock, headers[1], store, "b")
    (waiting,) = dispatch.read_snapshot(session, test_city.id, clock.now()).delivery_ids
    busy = next(c for c in offers(session).values() if c)  # already at his capacity of 1
    assert dispatch.write_offers(session, stale, [(waiting, busy)], clock.now(), 30) == 0
    assert offers(session)[second] is None
    session.expire_all()
    assert session.get(Courier, busy).held == 1
