"""Placing, reading and cancelling orders: one transaction each, money always balanced."""

import pytest
from sqlalchemy import func, select

from service import failpoints
from service.campaigns.models import Campaign, Coupon
from service.catalog.models import Product, StoreStock
from service.orders.lifecycle import rematch_order
from service.orders.models import IdempotencyKey, LedgerEntry, Order, OrderEvent
from service.stores.models import Store
from tests.support.factories import (
    TEST_CENTRE,
    make_campaign,
    make_city,
    make_consumers,
    make_store,
)
from tests.support.payments import place_and_pay, settle_refunds

HOME = {"lat": TEST_CENTRE[0], "lon": TEST_CENTRE[1], "address": "测试路100号"}
BODY = {"items": [{"sku": "BAK-0001", "qty": 2}], "payment_method": "wechat", **HOME}


@pytest.fixture
def town(session, clock):
    test_city = make_city(session)
    store = make_store(session, test_city, 1.0, stock={"BAK-0001": (10, 4800)})
    people = make_consumers(session, 2, clock.now())
    session.commit()
    headers = [{"Authorization": f"Bearer {token}"} for _, token in people]
    return test_city, store, headers, [cid for cid, _ in people]


@pytest.fixture
def crash_at():
    yield lambda name: failpoints.configure({name: "raise"})
    failpoints.configure({})


def post(client, headers, key, body=BODY):
    """Place and pay (through the sandbox cashier)."""
    return place_and_pay(client, body, headers, key)


def reserved(session, store_id) -> int:
    query = select(func.sum(StoreStock.reserved)).where(StoreStock.store_id == store_id)
    return session.execute(query).scalar() or 0


def counts(session) -> tuple[int, ...]:
    return tuple(
        session.execute(select(func.count()).select_from(t)).scalar()
        for t in (Order, LedgerEntry, IdempotencyKey, OrderEvent)
    )


def test_placed_order_reserves_stock_and_charges_the_payable(client, session, town):
    _, store, headers, _ = town
    placed = post(client, headers[0], "a")
    assert placed.status_code == 201, placed.json
    order = placed.json["order"]
    # the store is auto_accept (the default): accepted at once
    assert order["status"] == "ACCEPTED" and order["payable_fen"] == 9600 + 0
    assert order["delivery_fee_fen"] == 0 and len(order["handoff_code"]) == 4
    assert placed.json["breakdown"]["payable_fen"] == order["payable_fen"]
    session.expire_all()
    assert reserved(session, store.id) == 2
    assert session.get(Store, store.id).open_orders == 1
    charges = session.execute(select(LedgerEntry.kind, LedgerEntry.amount_fen)).all()
    assert [tuple(c) for c in charges] == [("charge", 9600)]


def test_same_key_and_body_replays_the_first_answer(client, session, town):
    _, _, headers, _ = town
    first = client.post("/v1/orders", json=BODY, headers={**headers[0], "Idempotency-Key": "same"})
    again = client.post("/v1/orders", json=BODY, headers={**headers[0], "Idempotency-Key": "same"})
    assert (again.status_code, again.json) == (first.status_code, first.json)
    assert first.json["order"]["status"] == "AWAITING_PAYMENT"
    assert session.execute(select(func.count()).select_from(Order)).scalar() == 1


def test_same_key_with_another_body_is_422(client, town):
    _, _, headers, _ = town
    post(client, headers[0], "k")
    other = post(client, headers[0], "k", {**BODY, "address": "别处"})
    assert other.status_code == 422
    assert other.json["error"]["code"] == "idempotency_key_reused"


def test_keys_are_scoped_per_consumer(client, town):
    _, _, headers, _ = town
    assert post(client, headers[0], "shared").status_code == 201
    assert post(client, headers[1], "shared").status_code == 201


@pytest.mark.parametrize("address", ["", "   "])
def test_a_blank_address_line_is_refused_with_a_field_error_and_writes_nothing(
    client, session, town, address
):
    _, _, headers, _ = town
    before = counts(session)
    response = post(client, headers[0], "blank", {**BODY, "address": address})
    assert response.status_code == 422
    error = response.json["error"]
    assert (error["code"], error["field"]) == ("validation_error", "address")
    assert "address line" in error["message"] and counts(session) == before


def test_missing_key_is_400_and_writes_nothing(client, session, town):
    _, _, headers, _ = town
    before = counts(session)
    response = client.post("/v1/orders", json=BODY, headers=headers[0])
    assert response.status_code == 400
    assert response.json["error"]["field"] == "Idempotency-Key"
    assert counts(session) == before


def test_a_refused_request_stores_nothing_and_may_be_retried(client, session, town):
    _, store, headers, _ = town
    too_many = {**BODY, "items": [{"sku": "BAK-0001", "qty": 11}]}
    before = counts(session)
    assert post(client, headers[0], "retry", too_many).status_code == 409
    assert counts(session) == before
    stock = session.execute(select(StoreStock).where(StoreStock.store_id == store.id)).scalar_one()
    stock.on_hand = 20
    session.commit()
    assert post(client, headers[0], "retry", too_many).status_code == 201


def test_price_changed_is_409_with_the_new_quote(client, session, town):
    _, _, headers, _ = town
    before = counts(session)
    response = post(client, headers[0], "p", {**BODY, "expected_payable_fen": 9000})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "price_changed"
    assert response.json["error"]["quote"]["payable_fen"] == 9600
    assert counts(session) == before
    assert post(client, headers[0], "p2", {**BODY, "expected_payable_fen": 9600}).status_code == 201


@pytest.mark.parametrize("point", ["order.after_reserve", "order.before_commit"])
def test_a_crash_mid_order_leaves_nothing_behind(client, session, clock, town, crash_at, point):
    test_city, store, headers, consumer_ids = town
    campaign, _ = make_campaign(session, clock.now(), code="testville", pack=((0, 500, 1),))
    session.commit()
    claimed = client.post(
        f"/v1/campaigns/{campaign.id}/claim",
        headers=headers[0],
        json={"lat": HOME["lat"], "lon": HOME["lon"]},
    )
    coupon_id = claimed.json["coupons"][0]["id"]
    before = counts(session)
    crash_at(point)
    response = post(client, headers[0], "boom", {**BODY, "coupon_id": coupon_id})
    assert response.status_code == 500
    session.expire_all()
    assert counts(session) == before
    assert reserved(session, store.id) == 0
    assert session.get(Coupon, coupon_id).status == "AVAILABLE"
    assert session.get(Campaign, campaign.id).redeemed_fen == 0


def test_cancel_gives_back_stock_coupon_and_money(client, session, clock, town):
    _, store, headers, _ = town
    campaign, _ = make_campaign(session, clock.now(), code="testville", pack=((5000, 1000, 1),))
    session.commit()
    coupon_id = client.post(
        f"/v1/campaigns/{campaign.id}/claim",
        headers=headers[0],
        json={"lat": HOME["lat"], "lon": HOME["lon"]},
    ).json["coupons"][0]["id"]
    placed = post(client, headers[0], "c", {**BODY, "coupon_id": coupon_id}).json["order"]
    assert placed["coupon_fen"] == 1000 and placed["payable_fen"] == 8600
    cancelled = client.post(f"/v1/orders/{placed['id']}/cancel", json={}, headers=headers[0])
    assert cancelled.status_code == 200 and cancelled.json["status"] == "CANCELLED"
    settle_refunds(client)
    session.expire_all()
    assert reserved(session, store.id) == 0 and session.get(Store, store.id).open_orders == 0
    assert session.get(Coupon, coupon_id).status == "AVAILABLE"
    campaign = session.get(Campaign, campaign.id)
    assert (campaign.issued_fen, campaign.redeemed_fen) == (1000, 0)
    ledger = session.execute(select(LedgerEntry.kind, LedgerEntry.amount_fen)).all()
    assert sorted(tuple(r) for r in ledger) == [("charge", 8600), ("refund", 8600)]
    again = client.post(f"/v1/orders/{placed['id']}/cancel", json={}, headers=headers[0])
    assert again.status_code == 409 and again.json["error"]["code"] == "invalid_transition"


def test_orders_are_private_to_their_consumer(client, town):
    _, _, headers, _ = town
    order_id = post(client, headers[0], "mine").json["order"]["id"]
    assert client.get(f"/v1/orders/{order_id}", headers=headers[0]).status_code == 200
    assert client.get(f"/v1/orders/{order_id}", headers=headers[1]).status_code == 404
    cancel = client.post(f"/v1/orders/{order_id}/cancel", json={}, headers=headers[1])
    assert cancel.status_code == 404


def test_my_orders_page_newest_first(client, town):
    _, _, headers, _ = town
    ids = [
        post(client, headers[0], f"n{i}", {**BODY, "items": [{"sku": "BAK-0001", "qty": 1}]}).json[
            "order"
        ]["id"]
        for i in range(3)
    ]
    first = client.get("/v1/orders?limit=2", headers=headers[0]).json
    assert [o["id"] for o in first["orders"]] == ids[::-1][:2]
    rest = client.get(f"/v1/orders?limit=2&before={first['next_before']}", headers=headers[0]).json
    assert [o["id"] for o in rest["orders"]] == [ids[0]] and rest["next_before"] is None


def test_money_balances_after_orders_and_cancels(client, session, clock, town):
    _, _, headers, _ = town
    campaign, _ = make_campaign(session, clock.now(), code="testville", pack=((0, 300, 3),))
    session.commit()
    coupons = [
        c["id"]
        for c in client.post(
            f"/v1/campaigns/{campaign.id}/claim",
            headers=headers[0],
            json={"lat": HOME["lat"], "lon": HOME["lon"]},
        ).json["coupons"]
    ]
    one = {**BODY, "items": [{"sku": "BAK-0001", "qty": 1}]}
    placed = [
        post(client, headers[0], f"m{i}", {**one, "coupon_id": c}).json["order"]["id"]
        for i, c in enumerate(coupons)
    ] + [post(client, headers[0], "plain", one).json["order"]["id"]]
    for order_id in placed[::2]:
        client.post(f"/v1/orders/{order_id}/cancel", json={}, headers=headers[0])
    settle_refunds(client)
    session.expire_all()
    live = session.execute(select(Order).where(Order.status != "CANCELLED")).scalars().all()
    charges = session.execute(
        select(func.sum(LedgerEntry.amount_fen)).where(LedgerEntry.kind == "charge")
    ).scalar()
    refunds = session.execute(
        select(func.sum(LedgerEntry.amount_fen)).where(LedgerEntry.kind == "refund")
    ).scalar()
    assert charges - refunds == sum(o.payable_fen for o in live)
    assert session.get(Campaign, campaign.id).redeemed_fen == sum(o.coupon_fen for o in live)


def test_rematch_moves_the_order_to_the_next_store_and_then_cancels(session, clock, town, client):
    test_city, first_store, headers, _ = town
    tablet = {"intake_mode": "tablet", "last_polled_at": clock.now()}
    first_store.sqlmodel_update(tablet)
    second = make_store(session, test_city, 2.0, stock={"BAK-0001": (10, 4800)}, **tablet)
    session.commit()
    order = session.get(Order, post(client, headers[0], "r").json["order"]["id"])
    assert order.store_id == first_store.id
    rematch_order(
        session=session,
        order=order,
        reason="rejected",
        actor_role="store",
        actor_id=first_store.id,
        now=clock.now(),
    )
    session.flush()
    assert order.store_id == second.id and order.status == "PLACED"
    assert (reserved(session, first_store.id), reserved(session, second.id)) == (0, 2)
    assert order.payable_fen == 9600  # lines and prices kept
    rematch_order(
        session=session,
        order=order,
        reason="timeout",
        actor_role="system",
        actor_id=None,
        now=clock.now(),
    )
    session.flush()
    assert (order.status, order.cancel_reason) == ("CANCELLED", "no_store")
    assert reserved(session, second.id) == 0
    kinds = (
        session.execute(
            select(OrderEvent.kind).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
        )
        .scalars()
        .all()
    )
    assert kinds == ["placed", "reassigned_away", "reassigned", "rematch_failed", "cancelled"]


def test_unknown_product_is_422_naming_the_line(client, town):
    _, _, headers, _ = town
    response = post(client, headers[0], "u", {**BODY, "items": [{"sku": "NOPE", "qty": 1}]})
    assert (response.status_code, response.json["error"]["field"]) == (422, "items.0.sku")


def test_product_catalogue_has_the_sku_the_tests_use(session):
    assert session.execute(select(Product.id).where(Product.sku == "BAK-0001")).scalar()


def test_idempotency_keys_are_purged_after_24_hours(client, session, clock, town, db):
    from datetime import timedelta

    from service.jobs.registry import JOBS
    from service.jobs.runner import run_job

    _, _, headers, _ = town
    post(client, headers[0], "old")
    report = run_job(
        JOBS["purge_idempotency_keys"], database=db, now=clock.now() + timedelta(hours=23)
    )
    assert report.changed == 0
    report = run_job(
        JOBS["purge_idempotency_keys"], database=db, now=clock.now() + timedelta(hours=25)
    )
    assert report.changed == 1


def test_a_quote_without_a_store_prices_at_the_store_an_order_would_get(client, town):
    _, store, headers, _ = town
    body = {k: v for k, v in BODY.items() if k != "address"}
    quote = client.post("/v1/quote", json=body, headers=headers[0])
    assert quote.status_code == 200, quote.json
    assert quote.json["store"]["id"] == store.id and quote.json["payable_fen"] == 9600
    placed = post(client, headers[0], "q", {**BODY, "expected_payable_fen": 9600})
    assert placed.status_code == 201


def test_order_lines_keep_the_requests_order_and_the_quotes_shares(client, session, town):
    test_city, _, headers, _ = town
    three = {f"BAK-000{n}": (10, 10_000) for n in (1, 2, 3)}
    store = make_store(session, test_city, 0.5, stock=three)
    session.commit()
    items = [{"sku": f"BAK-000{n}", "qty": 1} for n in (3, 2, 1)]
    body = {**BODY, "items": items, "store_id": store.id}
    quote = client.post(
        "/v1/quote", json={k: v for k, v in body.items() if k != "address"}, headers=headers[0]
    ).json
    placed = post(
        client, headers[0], "ordered", {**body, "expected_payable_fen": quote["payable_fen"]}
    )
    assert placed.status_code == 201, placed.json
    quoted = [(line["sku"], line["promotion_fen"]) for line in quote["lines"]]
    stored = [(line["sku"], line["promotion_share_fen"]) for line in placed.json["order"]["lines"]]
    assert quoted == stored == [("BAK-0003", 1_667), ("BAK-0002", 1_667), ("BAK-0001", 1_666)]
