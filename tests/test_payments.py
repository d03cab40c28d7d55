"""Paying for orders through the sandbox: no store sees an unpaid order, money moves once."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service.audit.models import AuditEvent
from service.catalog.models import StoreStock
from service.orders.models import LedgerEntry
from service.payments import accounts
from service.payments.models import Payment, Refund
from tests.support.factories import TEST_CENTRE, make_city, make_consumers, make_store
from tests.support.payments import cashier_path, pay, run, settle_refunds
from tests.support.tablets import store_token, tablet

HOME = {"lat": TEST_CENTRE[0], "lon": TEST_CENTRE[1], "address": "测试路100号"}
BODY = {"items": [{"sku": "BAK-0001", "qty": 2}], "payment_method": "wechat", **HOME}


@pytest.fixture
def shop(session, clock):
    test_city = make_city(session)
    store = make_store(
        session, test_city, 1.0, **tablet(clock.now()), stock={"BAK-0001": (10, 4800)}
    )
    people = make_consumers(session, 2, clock.now())
    staff = store_token(session, store.id, clock.now())
    session.commit()
    consumers = [{"Authorization": f"Bearer {token}"} for _, token in people]
    return {"store": store, "consumers": consumers, "staff": {"Authorization": f"Bearer {staff}"}}


def order(client, consumer, key="k", body=BODY):
    placed = client.post("/v1/orders", json=body, headers={**consumer, "Idempotency-Key": key})
    assert placed.status_code == 201, placed.json
    return placed.json


def ledger(session, order_id) -> list[tuple[str, int]]:
    rows = session.execute(
        select(LedgerEntry.kind, LedgerEntry.amount_fen)
        .where(LedgerEntry.order_id == order_id)
        .order_by(LedgerEntry.id)
    ).all()
    return [tuple(row) for row in rows]


def status(client, consumer, order_id) -> str:
    return client.get(f"/v1/orders/{order_id}", headers=consumer).json["status"]


def feed(client, staff) -> list[tuple[int, str]]:
    events = client.get("/v1/store/feed", headers=staff).json["events"]
    cursor = client.get("/v1/store/feed", headers=staff).json["cursor"]
    del cursor
    return [(e["order_id"], e["kind"]) for e in events]


def sandbox():
    return accounts.provider("sandbox")


def notify(client, body: bytes, headers=None):
    headers = sandbox().headers_for(body) if headers is None else headers
    return client.post("/v1/payments/notify/sandbox", data=body, headers=headers)


def test_an_order_waits_for_payment_unseen_by_its_store_and_is_placed_once_paid(
    client, session, clock, shop
):
    consumer, staff = shop["consumers"][0], shop["staff"]
    placed = order(client, consumer)
    assert placed["order"]["status"] == "AWAITING_PAYMENT" and placed["order"]["events"] == []
    payment = placed["payment"]
    assert (payment["status"], payment["method"], payment["amount_fen"]) == ("OPEN", "wechat", 9600)
    assert payment["pay_url"].startswith("/pay/sandbox/sandbox/")
    assert client.get(cashier_path(payment)).status_code == 200  # the cashier page
    polled = client.get(
        "/v1/store/feed", query_string={"after": cursor(client, staff)}, headers=staff
    )
    assert polled.json["events"] == []
    assert ledger(session, placed["order"]["id"]) == []
    clock.advance(seconds=90)
    assert pay(client, payment).json == {"action": "pay", "paid": True, "delivered": 1}
    mine = client.get(f"/v1/orders/{placed['order']['id']}", headers=consumer).json
    assert mine["status"] == "PLACED" and mine["paid_fen"] == 9600
    assert mine["placed_at"] == clock.now().astimezone(mine_zone(mine)).isoformat()
    assert [e["kind"] for e in mine["events"]] == ["placed"]
    assert ledger(session, mine["id"]) == [("charge", 9600)]


def cursor(client, staff) -> str:
    return client.get("/v1/store/feed", headers=staff).json["cursor"]


def mine_zone(order_read):
    from datetime import datetime

    return datetime.fromisoformat(order_read["placed_at"]).tzinfo


def test_a_notification_delivered_twice_charges_once(client, session, shop):
    placed = order(client, shop["consumers"][0])
    assert pay(client, placed["payment"], deliver="twice").json["delivered"] == 2
    assert ledger(session, placed["order"]["id"]) == [("charge", 9600)]


def test_forged_mismatched_and_unknown_notifications_change_nothing_and_are_audited(
    client, session, clock, shop
):
    placed = order(client, shop["consumers"][0])
    trade = placed["payment"]["pay_url"].rsplit("/", 1)[1]
    truth = {
        "kind": "payment",
        "merchant": "sandbox",
        "out_trade_no": trade,
        "status": "SUCCESS",
        "amount_fen": 9600,
        "method": "wechat",
        "trade_no": "x",
        "at": clock.now().isoformat(),
    }
    forged = json.dumps(truth).encode()
    assert notify(client, forged, {"X-Sandbox-Signature": "0" * 64}).status_code == 400
    for wrong in (
        {"amount_fen": 1},
        {"merchant": "another"},
        {"method": "ecny"},
        {"out_trade_no": "P" + "0" * 31},
    ):
        answer = notify(client, json.dumps({**truth, **wrong}).encode())
        assert answer.status_code in (200, 400), answer.data
    assert status(client, shop["consumers"][0], placed["order"]["id"]) == "AWAITING_PAYMENT"
    assert ledger(session, placed["order"]["id"]) == []
    reasons = (
        session.execute(
            select(AuditEvent.new).where(AuditEvent.action == "payment.notification_refused")
        )
        .scalars()
        .all()
    )
    assert sorted(r["reason"] for r in reasons) == sorted(
        ["bad_signature", "wrong_amount", "wrong_merchant", "wrong_method", "unknown_order"]
    )
    # the true one still works afterwards
    assert notify(client, forged).status_code == 200
    assert status(client, shop["consumers"][0], placed["order"]["id"]) == "PLACED"


def test_a_third_unpaid_order_is_refused_until_one_is_paid(client, shop):
    consumer = shop["consumers"][0]
    first = order(client, consumer, "a")
    order(client, consumer, "b")
    third = client.post("/v1/orders", json=BODY, headers={**consumer, "Idempotency-Key": "c"})
    assert (third.status_code, third.json["error"]["code"]) == (409, "too_many_unpaid_orders")
    pay(client, first["payment"])
    order(client, consumer, "c")


def test_an_unpaid_order_is_closed_at_pay_by_giving_back_stock_and_charging_nothing(
    client, session, clock, shop
):
    placed = order(client, shop["consumers"][0])
    clock.advance(minutes=14)
    assert (
        run(client.application.extensions["hourdelivery.db"], "close_unpaid", clock.now()).changed
        == 0
    )
    clock.advance(minutes=1)
    assert (
        run(client.application.extensions["hourdelivery.db"], "close_unpaid", clock.now()).changed
        == 1
    )
    mine = client.get(f"/v1/orders/{placed['order']['id']}", headers=shop["consumers"][0]).json
    assert (mine["status"], mine["cancel_reason"], mine["paid_fen"]) == ("CANCELLED", "unpaid", 0)
    assert mine["payment"]["status"] == "CLOSED"
    held = session.execute(select(func.sum(StoreStock.reserved))).scalar()
    assert held == 0 and ledger(session, mine["id"]) == []
    late = client.post(cashier_path(placed["payment"]), json={"action": "pay"})
    assert late.status_code == 409  # closed at the provider: it cannot be paid any more


def test_a_payment_made_after_the_consumer_cancelled_is_refunded_at_once(client, session, shop):
    consumer = shop["consumers"][0]
    placed = order(client, consumer)
    client.post(f"/v1/orders/{placed['order']['id']}/cancel", json={}, headers=consumer)
    paid = pay(client, placed["payment"])  # the cashier was still open on the phone
    assert paid.status_code == 200, paid.json
    settle_refunds(client)
    mine = client.get(f"/v1/orders/{placed['order']['id']}", headers=consumer).json
    assert mine["status"] == "CANCELLED"
    assert (mine["paid_fen"], mine["refunded_fen"]) == (9600, 9600)
    assert ledger(session, mine["id"]) == [("charge", 9600), ("refund", 9600)]


def test_a_lost_notification_is_found_by_the_query_job(client, session, clock, shop):
    placed = order(client, shop["consumers"][0])
    pay(client, placed["payment"], deliver="never")
    database = client.application.extensions["hourdelivery.db"]
    assert run(database, "query_payments", clock.now()).items == 0  # not silent long enough
    clock.advance(minutes=3)
    client.get("/v1/store/feed", headers=shop["staff"])  # the tablet stays connected
    assert run(database, "query_payments", clock.now()).changed == 1
    assert status(client, shop["consumers"][0], placed["order"]["id"]) == "PLACED"
    assert ledger(session, placed["order"]["id"]) == [("charge", 9600)]


def test_a_late_notification_arrives_through_the_sandbox_job(client, clock, shop):
    placed = order(client, shop["consumers"][0])
    pay(client, placed["payment"], deliver="late")
    database = client.application.extensions["hourdelivery.db"]
    assert status(client, shop["consumers"][0], placed["order"]["id"]) == "AWAITING_PAYMENT"
    clock.advance(minutes=2)
    run(database, "sandbox_notifications", clock.now())
    assert status(client, shop["consumers"][0], placed["order"]["id"]) == "PLACED"


def test_pay_again_gives_the_same_payment_until_pay_by(client, clock, shop):
    consumer = shop["consumers"][0]
    placed = order(client, consumer)
    again = client.post(f"/v1/orders/{placed['order']['id']}/pay", headers=consumer)
    assert again.status_code == 200 and again.json["pay_url"] == placed["payment"]["pay_url"]
    clock.advance(minutes=16)
    late = client.post(f"/v1/orders/{placed['order']['id']}/pay", headers=consumer)
    assert (late.status_code, late.json["error"]["code"]) == (409, "payment_closed")


def test_a_failed_refund_waits_for_an_operator_who_retries_it(client, session, clock, shop):
    from tests.support.deliveries import make_operator

    consumer = shop["consumers"][0]
    placed = order(client, consumer)
    pay(client, placed["payment"])
    sandbox().set_refund_outcome("fail")
    try:
        client.post(f"/v1/orders/{placed['order']['id']}/cancel", json={}, headers=consumer)
        settle_refunds(client)
        operator = {"Authorization": f"Bearer {make_operator(session, clock.now())}"}
        session.commit()
        waiting = client.get("/v1/admin/refunds", headers=operator).json["refunds"]
        assert [(r["order_id"], r["amount_fen"]) for r in waiting] == [
            (placed["order"]["id"], 9600)
        ]
        assert ledger(session, placed["order"]["id"]) == [("charge", 9600)]
        sandbox().set_refund_outcome("succeed")
        retried = client.post(f"/v1/admin/refunds/{waiting[0]['id']}/retry", headers=operator)
        assert retried.status_code == 200 and retried.json["status"] == "REQUESTED"
        pending = client.get("/v1/admin/refunds?status=REQUESTED", headers=operator).json
        assert [r["id"] for r in pending["refunds"]] == [retried.json["id"]]
        settle_refunds(client)
    finally:
        sandbox().set_refund_outcome("succeed")
    assert client.get("/v1/admin/refunds", headers=operator).json["refunds"] == []
    assert client.get("/v1/admin/refunds?status=REQUESTED", headers=operator).json["refunds"] == []
    assert ledger(session, placed["order"]["id"]) == [("charge", 9600), ("refund", 9600)]


def test_a_short_pick_then_a_cancel_never_gives_back_more_than_was_paid(client, session, shop):
    consumer, staff = shop["consumers"][0], shop["staff"]
    placed = order(client, consumer, body={**BODY, "items": [{"sku": "BAK-0001", "qty": 3}]})
    pay(client, placed["payment"])
    order_id = placed["order"]["id"]
    assert client.post(f"/v1/store/orders/{order_id}/accept", headers=staff).status_code == 200
    line = client.get(f"/v1/store/orders/{order_id}", headers=staff).json["lines"][0]
    short = client.post(
        f"/v1/store/orders/{order_id}/short-pick",
        headers=staff,
        json={"line_id": line["id"], "picked_qty": 1},
    )
    assert short.status_code == 200, short.json
    client.post(f"/v1/orders/{order_id}/cancel", json={}, headers=consumer)
    settle_refunds(client)
    paid = session.execute(select(Payment.amount_fen).where(Payment.order_id == order_id)).scalar()
    back = session.execute(
        select(func.sum(Refund.amount_fen)).where(Refund.order_id == order_id)
    ).scalar()
    assert back == paid == 14400
    assert [kind for kind, _ in ledger(session, order_id)] == ["charge", "refund", "refund"]


def test_the_pay_window_is_fifteen_minutes_from_the_order(client, clock, shop):
    placed = order(client, shop["consumers"][0])
    from datetime import datetime

    pay_by = datetime.fromisoformat(placed["payment"]["pay_by"])
    assert pay_by - clock.now() == timedelta(minutes=15)


def test_the_app_refuses_to_start_with_the_sandbox_outside_demo_and_test_mode(tmp_path):
    from service import create_app
    from service.config import Settings

    accounts_file = tmp_path / "accounts.json"
    accounts_file.write_text(json.dumps({"sz": {"kind": "sandbox"}}))
    production = Settings(
        database_url="sqlite://",
        testing=False,
        demo=False,
        payment_accounts_file=str(accounts_file),
    )
    try:
        with pytest.raises(accounts.SandboxRefused):
            create_app(production)
        # with no account at all, a city has no way to pay: orders are refused, never faked
        create_app(Settings(database_url="sqlite://", testing=False, demo=False))
        assert accounts.configured() == []
    finally:
        create_app(Settings(database_url="sqlite://", testing=True))  # the suite's sandbox again
