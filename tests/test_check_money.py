"""`hourdelivery check money` finds every kind of difference planted in a database."""

import pytest
from sqlalchemy import select, text

from service import caches, create_app
from service.campaigns.models import Coupon
from service.checks.service import find_differences
from service.config import Settings
from service.errors import Conflict
from service.jobs.registry import JOBS
from service.jobs.runner import run_job
from service.orders import ledger
from service.orders.models import Order, OrderEvent, OrderLine
from tests.support.deliveries import make_operator
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
CART = {"items": [{"sku": "BAK-0001", "qty": 2}], "payment_method": "wechat", **HOME}


def world(client, session, clock) -> dict:
    """An accepted order with a coupon at a tablet store, and a cancelled one."""
    store = make_store(
        session, make_city(session), 1.0, **tablet(clock.now()), stock={"BAK-0001": (9, 4800)}
    )
    campaign, _ = make_campaign(session, clock.now(), code="testville", pack=((0, 500, 1),))
    ((_, token),) = make_consumers(session, 1, clock.now())
    staff = {"Authorization": f"Bearer {store_token(session, store.id, clock.now())}"}
    session.commit()
    me = {"Authorization": f"Bearer {token}"}
    claimed = client.post(f"/v1/campaigns/{campaign.id}/claim", headers=me, json=HOME)
    coupon_id = claimed.json["coupons"][0]["id"]
    orders = []
    for key, extra in (("a", {"coupon_id": coupon_id}), ("b", {})):
        placed = place_and_pay(client, {**CART, **extra}, me, key)
        assert placed.status_code == 201, placed.json
        orders.append(placed.json["order"]["id"])
    kept, cancelled = orders
    assert client.post(f"/v1/store/orders/{kept}/accept", headers=staff).status_code == 200
    assert (
        client.post(
            f"/v1/orders/{cancelled}/cancel", headers=me, json={"reason": "changed_mind"}
        ).status_code
        == 200
    )
    settle_refunds(client)  # the provider gives the money back: the ledger's refund
    line = session.execute(select(OrderLine.id).where(OrderLine.order_id == kept)).scalar()
    return {
        "order": kept,
        "cancelled": cancelled,
        "store": store.id,
        "campaign": campaign.id,
        "coupon": coupon_id,
        "line": line,
    }


# kind -> (SQL planting it, what the check must report: check, subject, what)
PLANTED = {
    "double refund": (
        "INSERT INTO ledger_entries (order_id, city_id, kind, amount_fen, note, at)"
        " SELECT id, city_id, 'refund', payable_fen + 1, 'x', placed_at FROM orders"
        " WHERE id = :order",
        ("ledger", "order", "net_paid_fen"),
    ),
    "charge missing": (
        "DELETE FROM ledger_entries WHERE order_id = :order AND kind = 'charge'",
        ("ledger", "order", "charges_fen"),
    ),
    "cancel not refunded": (
        "DELETE FROM ledger_entries WHERE order_id = :cancelled AND kind = 'refund'",
        ("ledger", "order", "refunds_fen"),
    ),
    "units released twice": (
        "UPDATE store_stock SET reserved = reserved - 1 WHERE store_id = :store",
        ("stock", "stock_row", "reserved"),
    ),
    "slot lost": (
        "UPDATE stores SET open_orders = open_orders + 1 WHERE id = :store",
        ("slots", "store", "open_orders"),
    ),
    "spend given back twice": (
        "UPDATE campaigns SET redeemed_fen = redeemed_fen - 500 WHERE id = :campaign",
        ("campaign", "campaign", "redeemed_fen"),
    ),
    "budget drift": (
        "UPDATE campaigns SET issued_fen = issued_fen + 1 WHERE id = :campaign",
        ("campaign", "campaign", "issued_fen"),
    ),
    "pack counter drift": (
        "UPDATE batches SET packs_claimed = packs_claimed + 1 WHERE campaign_id = :campaign",
        ("campaign", "campaign", "packs_claimed"),
    ),
    "coupon freed under a live order": (
        "UPDATE coupons SET status = 'AVAILABLE' WHERE id = :coupon",
        ("coupon", "coupon", "live_orders_holding_a_AVAILABLE_coupon"),
    ),
    "event from the wrong status": (
        "UPDATE order_events SET from_status = 'ACCEPTED' WHERE order_id = :order"
        " AND kind = 'accepted'",
        ("history", "order", None),
    ),
    "status without an event": (
        "UPDATE orders SET status = 'READY' WHERE id = :order",
        ("history", "order", "status"),
    ),
}


@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_check_money_reports_each_planted_difference(kind, client, session, clock):
    ids = world(client, session, clock)
    assert find_differences(session=session) == []
    statement, (check, subject, what) = PLANTED[kind]
    session.execute(text(statement), {k: v for k, v in ids.items() if f":{k}" in statement})
    found = find_differences(session=session)
    assert any(
        d.check == check and d.subject == subject and (what is None or d.what == what)
        for d in found
    ), found


def test_check_money_exits_1_on_a_difference_and_the_job_shows_it_to_operators(committed_db, clock):
    caches.clear_all()  # cities cached by earlier tests were rolled back with them
    url = committed_db.engine.url.render_as_string(hide_password=False)
    app = create_app(
        Settings(database_url=url, secret_key="test"), clock=clock, database=committed_db
    )
    with committed_db.session() as session:
        ids = world(app.test_client(), session, clock)
        operator = {"Authorization": f"Bearer {make_operator(session, clock.now())}"}
        session.commit()
    runner = app.test_cli_runner()
    clean = runner.invoke(args=["check", "money"])
    assert (clean.exit_code, clean.output.strip()) == (0, "0 difference(s)")
    with committed_db.engine.begin() as conn:
        conn.execute(
            text("UPDATE coupons SET status = 'AVAILABLE' WHERE id = :c"), {"c": ids["coupon"]}
        )
    dirty = runner.invoke(args=["check", "money"])
    assert dirty.exit_code == 1
    assert f"coupon: coupon {ids['coupon']} live_orders_holding_a_AVAILABLE_coupon" in dirty.output
    assert run_job(JOBS["check_money"], database=committed_db, now=clock.now()).changed == 2
    client = app.test_client()
    shown = client.get("/v1/admin/invariants", headers=operator).json
    assert shown["violations"] == 2
    assert {d["check"] for d in shown["differences"]} == {"coupon", "campaign"}
    assert "hd_invariant_violations 2.0" in client.get("/metrics", headers=operator).text
    with committed_db.session() as session:
        assert session.get(Coupon, ids["coupon"]).status == "AVAILABLE"
        assert session.execute(select(OrderEvent.id)).first() is not None


def test_a_refund_never_exceeds_what_is_left_of_the_payment(client, session, clock):
    ids = world(client, session, clock)
    order = session.get(Order, ids["order"])
    with pytest.raises(Conflict):
        ledger.refund(session, order, clock.now(), "too much", amount_fen=order.payable_fen + 1)
    assert ledger.refund(session, order, clock.now(), "part", amount_fen=100) == 100
    assert ledger.refund(session, order, clock.now(), "the rest") == order.payable_fen - 100
    assert ledger.refund(session, order, clock.now(), "again") == 0  # nothing left: no row
    with pytest.raises(Conflict):
        ledger.refund(session, order, clock.now(), "one more fen", amount_fen=1)
    session.commit()
    settle_refunds(client)  # the ledger shows a refund once the provider says it succeeded
    assert ledger.net_paid(session, order.id) == 0
