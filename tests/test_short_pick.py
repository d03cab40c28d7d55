"""Short-picks to the fen, and acceptance deadlines that move an order on."""

import pytest
from sqlalchemy import func, select

from service.auth.service import issue_token
from service.campaigns.models import Campaign, Coupon
from service.catalog.models import StoreStock
from service.cities.models import City
from service.orders.ledger import net_paid
from service.orders.models import LedgerEntry, Order
from service.people.models import Operator
from service.stores.models import Store
from service.tablet.deadlines import overdue_at_tablets, time_out
from tests.support.factories import (
    TEST_CENTRE,
    make_campaign,
    make_city,
    make_consumers,
    make_store,
)
from tests.support.payments import place_and_pay, settle_refunds
from tests.support.tablets import store_token, tablet

HOME = {"lat": TEST_CENTRE[0], "lon": TEST_CENTRE[1], "address": "测试路100号"}
# 200.00 + 100.00 yuan: the seed world's national "every 299 off 50" takes 5,000 fen,
# shared 3,333 / 1,667 between the lines.
CART = {
    "items": [{"sku": "BAK-0001", "qty": 1}, {"sku": "BAK-0002", "qty": 1}],
    "payment_method": "wechat",
    **HOME,
}


@pytest.fixture
def picking(session, clock):
    test_city = make_city(session)
    store = make_store(
        session,
        test_city,
        1.0,
        **tablet(clock.now()),
        stock={"BAK-0001": (5, 20000), "BAK-0002": (5, 10000)},
    )
    ((consumer_id, token),) = make_consumers(session, 1, clock.now())
    staff = store_token(session, store.id, clock.now())
    session.commit()
    return store, {"Authorization": f"Bearer {token}"}, {"Authorization": f"Bearer {staff}"}


def claim(client, session, clock, consumer):
    campaign, _ = make_campaign(session, clock.now(), code="testville", pack=((0, 3000, 1),))
    session.commit()
    claimed = client.post(
        f"/v1/campaigns/{campaign.id}/claim",
        headers=consumer,
        json={"lat": HOME["lat"], "lon": HOME["lon"]},
    )
    return campaign, claimed.json["coupons"][0]["id"]


def accepted_order(client, consumer, staff, body=CART) -> dict:
    placed = place_and_pay(client, body, consumer, "k")
    assert placed.status_code == 201, placed.json
    order_id = placed.json["order"]["id"]
    assert client.post(f"/v1/store/orders/{order_id}/accept", headers=staff).status_code == 200
    return placed.json["order"]


def short(client, staff, order, sku, picked_qty):
    """Short-pick a line; the refund it asks for goes through the sandbox at once."""
    line = next(line for line in lines(client, staff, order) if line["sku"] == sku)
    answer = client.post(
        f"/v1/store/orders/{order['id']}/short-pick",
        headers=staff,
        json={"line_id": line["id"], "picked_qty": picked_qty},
    )
    settle_refunds(client)
    return answer


def lines(client, staff, order):
    return client.get(f"/v1/store/orders/{order['id']}", headers=staff).json["lines"]


def refunds(session, order_id) -> list[int]:
    return list(
        session.execute(
            select(LedgerEntry.amount_fen).where(
                LedgerEntry.order_id == order_id, LedgerEntry.kind == "refund"
            )
        ).scalars()
    )


def test_dropping_the_100_yuan_line_refunds_8333_fen_and_nothing_else(client, session, picking):
    store, consumer, staff = picking
    order = accepted_order(client, consumer, staff)
    assert [line["promotion_share_fen"] for line in order["lines"]] == [3333, 1667]
    response = short(client, staff, order, "BAK-0002", 0)
    assert response.status_code == 200 and response.json["status"] == "ACCEPTED"
    assert refunds(session, order["id"]) == [8333]
    assert net_paid(session, order["id"]) == order["payable_fen"] - 8333
    held = dict(
        session.execute(
            select(StoreStock.product_id, StoreStock.reserved).where(
                StoreStock.store_id == store.id
            )
        ).all()
    )
    assert sorted(held.values()) == [0, 1]  # the missing unit went back to the shelf
    mine = client.get(f"/v1/orders/{order['id']}", headers=consumer).json
    shorted = [e for e in mine["events"] if e["kind"] == "short_picked"]
    assert shorted[0]["data"]["refund_fen"] == 8333 and mine["payable_fen"] == order["payable_fen"]


def test_the_consumer_sees_the_missing_units_what_was_paid_the_refund_and_the_net(
    client, session, picking
):
    store, consumer, staff = picking
    order = accepted_order(client, consumer, staff)
    line = next(line for line in lines(client, staff, order) if line["sku"] == "BAK-0002")
    short(client, staff, order, "BAK-0002", 0)
    mine = client.get(f"/v1/orders/{order['id']}", headers=consumer).json
    paid = order["payable_fen"]
    assert (mine["payable_fen"], mine["paid_fen"], mine["refunded_fen"], mine["net_fen"]) == (
        paid,
        paid,
        8333,
        paid - 8333,
    )
    assert mine["short_pick"] == {
        "refund_fen": 8333,
        "missing": [
            {
                "line_id": line["id"],
                "sku": "BAK-0002",
                "name": line["name"],
                "qty": 1,
                "picked_qty": 0,
                "missing_qty": 1,
                "refund_fen": 8333,
            }
        ],
    }
    tablet_view = client.get(f"/v1/store/orders/{order['id']}", headers=staff).json
    assert (tablet_view["refund_fen"], tablet_view["net_fen"]) == (8333, paid - 8333)
    listed = client.get("/v1/orders", headers=consumer).json["orders"][0]
    assert listed["net_fen"] == paid - 8333 and listed["short_pick"]["refund_fen"] == 8333


def test_with_a_coupon_the_campaign_spend_falls_by_the_lines_coupon_share(
    client, session, clock, picking
):
    store, consumer, staff = picking
    campaign, coupon_id = claim(client, session, clock, consumer)
    order = accepted_order(client, consumer, staff, {**CART, "coupon_id": coupon_id})
    second = order["lines"][1]
    assert order["coupon_fen"] == 3000 and second["coupon_share_fen"] > 0
    short(client, staff, order, "BAK-0002", 0)
    session.expire_all()
    spent = session.get(Campaign, campaign.id).redeemed_fen
    assert spent == 3000 - second["coupon_share_fen"]
    paid_for_line = (
        second["amount_fen"] - second["promotion_share_fen"] - second["coupon_share_fen"]
    )
    assert refunds(session, order["id"]) == [paid_for_line]
    assert_money_reconciles(session, campaign.id)
    operator = Operator(name="运营 testville")  # a platform operator reads every city's report
    session.add(operator)
    session.flush()
    _, secret = issue_token(
        session=session, role="operator", principal_id=operator.id, now=clock.now()
    )
    session.commit()
    report = client.get(
        f"/v1/admin/reports/campaigns/{campaign.id}", headers={"Authorization": f"Bearer {secret}"}
    ).json
    assert report["reconciled"] is True, report.get("differences")


def test_short_picking_every_line_cancels_and_gives_the_coupon_back(
    client, session, clock, picking
):
    store, consumer, staff = picking
    campaign, coupon_id = claim(client, session, clock, consumer)
    order = accepted_order(client, consumer, staff, {**CART, "coupon_id": coupon_id})
    short(client, staff, order, "BAK-0001", 0)
    done = short(client, staff, order, "BAK-0002", 0)
    assert done.json["status"] == "CANCELLED"
    session.expire_all()
    assert session.get(Coupon, coupon_id).status == "AVAILABLE"
    assert session.get(Campaign, campaign.id).redeemed_fen == 0
    assert net_paid(session, order["id"]) == 0
    assert session.get(Store, store.id).open_orders == 0
    assert set(
        session.execute(
            select(StoreStock.reserved).where(StoreStock.store_id == store.id)
        ).scalars()
    ) == {0}


def test_short_pick_outside_picking_is_409_and_more_units_is_refused(client, picking):
    _, consumer, staff = picking
    order = accepted_order(client, consumer, staff)
    assert short(client, staff, order, "BAK-0001", 1).status_code == 422
    client.post(f"/v1/store/orders/{order['id']}/ready", headers=staff)
    late = short(client, staff, order, "BAK-0001", 0)
    assert (late.status_code, late.json["error"]["status"]) == (409, "READY")


def assert_money_reconciles(session, campaign_id):
    live = session.execute(select(Order).where(Order.status != "CANCELLED")).scalars().all()
    signed = func.sum(LedgerEntry.amount_fen)
    charges = session.execute(select(signed).where(LedgerEntry.kind == "charge")).scalar() or 0
    back = session.execute(select(signed).where(LedgerEntry.kind == "refund")).scalar() or 0
    assert charges - back == sum(net_paid(session, o.id) for o in live)
    assert session.get(Campaign, campaign_id).redeemed_fen == sum(o.coupon_fen for o in live)


def test_a_missed_deadline_moves_the_order_on_and_three_pause_the_store(
    client, session, clock, picking
):
    store, consumer, staff = picking
    backup = make_store(
        session,
        store_city(session, store),
        2.0,
        **tablet(clock.now()),
        stock={"BAK-0001": (5, 20000), "BAK-0002": (5, 10000)},
    )
    session.commit()
    ids = []
    for n in range(3):
        for tablet_store in (store, backup):  # both tablets keep polling
            tablet_store.last_polled_at = clock.now()
        session.commit()
        placed = place_and_pay(client, CART, consumer, f"t{n}")
        ids.append(placed.json["order"]["id"])
        clock.advance(seconds=100)
    assert overdue_at_tablets(session, clock.now()) == ids[:2]  # 300 s and 200 s; not 100 s
    clock.advance(seconds=200)  # every order is past its 180 s
    backup.last_polled_at = clock.now()
    session.commit()
    moved = [time_out(session=session, order_id=i, now=clock.now()) for i in ids]
    session.commit()
    assert moved == [1, 1, 1]
    session.expire_all()
    assert {session.get(Order, i).store_id for i in ids} == {backup.id}
    assert session.get(Store, store.id).paused
    assert session.get(Store, store.id).flagged_reason == "missed_deadlines"
    assert session.get(Store, store.id).open_orders == 0


def test_the_timeout_job_reads_only_orders_past_their_stores_deadline(
    client, session, clock, picking
):
    store, consumer, _ = picking
    placed = place_and_pay(client, CART, consumer, "due")
    order_id = placed.json["order"]["id"]
    clock.advance(seconds=store.accept_timeout_s - 1)
    assert order_id not in overdue_at_tablets(session, clock.now())
    clock.advance(seconds=1)
    assert order_id in overdue_at_tablets(session, clock.now())
    assert time_out(session=session, order_id=order_id, now=clock.now()) == 1
    session.commit()
    assert order_id not in overdue_at_tablets(session, clock.now())


def store_city(session, store):
    return session.get(City, store.city_id)
