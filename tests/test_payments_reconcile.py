"""Each day's statement matched line by line with our payments and refunds."""

from datetime import timedelta

import pytest

from service.payments import accounts
from service.payments.providers.base import PayRequest
from service.payments.providers.wechat_bill import CHINA
from tests.support.deliveries import make_operator
from tests.support.factories import TEST_CENTRE, make_city, make_consumers, make_store
from tests.support.payments import pay, run, settle_refunds

HOME = {"lat": TEST_CENTRE[0], "lon": TEST_CENTRE[1], "address": "测试路100号"}
BODY = {"items": [{"sku": "BAK-0001", "qty": 1}], "payment_method": "wechat", **HOME}


@pytest.fixture
def paid_day(client, session, clock):
    """Four paid orders (one cancelled and refunded), each by its own consumer."""
    test_city = make_city(session)
    make_store(session, test_city, 1.0, stock={"BAK-0001": (10, 4800)})
    people = make_consumers(session, 4, clock.now())
    operator = {"Authorization": f"Bearer {make_operator(session, clock.now())}"}
    session.commit()
    placed = []
    for n, (_, token) in enumerate(people):
        consumer = {"Authorization": f"Bearer {token}"}
        answer = client.post("/v1/orders", json=BODY, headers={**consumer, "Idempotency-Key": "d"})
        pay(client, answer.json["payment"])
        placed.append((consumer, answer.json))
        if n == 3:
            order_id = answer.json["order"]["id"]
            client.post(f"/v1/orders/{order_id}/cancel", json={}, headers=consumer)
    settle_refunds(client)
    return placed, operator


def trade_of(placed_json) -> str:
    return placed_json["payment"]["pay_url"].rsplit("/", 1)[1]


def rerun(client, operator, day):
    body = {"account": "sandbox", "day": day.isoformat()}
    return client.post("/v1/admin/reconciliations/rerun", json=body, headers=operator)


def test_a_day_whose_statement_agrees_is_reconciled(client, clock, paid_day):
    placed, operator = paid_day
    day = clock.now().astimezone(CHINA).date()
    answer = rerun(client, operator, day)
    assert answer.status_code == 200, answer.json
    mine = {trade_of(p) for _, p in placed}
    assert answer.json["matched"] >= 5 and answer.json["status"] in ("reconciled", "differs")
    assert not {line["out_trade_no"] for line in answer.json["lines"]} & mine


def test_a_line_missing_on_each_side_and_an_amount_differing_are_each_reported(
    client, clock, paid_day
):
    placed, operator = paid_day
    sandbox = accounts.provider("sandbox")
    dropped, changed = trade_of(placed[0][1]), trade_of(placed[1][1])
    sandbox.tamper(dropped, off_statement=True)  # they lost our payment
    payable = placed[1][1]["payment"]["amount_fen"]
    sandbox.tamper(changed, amount_fen=payable - 1)  # they say one fen less
    stranger = "P" + "f" * 30 + "X"  # a payment they have and we do not
    sandbox.create(
        PayRequest(
            out_trade_no=stranger,
            amount_fen=100,
            method="wechat",
            description="x",
            expire_at=clock.now() + timedelta(minutes=5),
            notify_url="",
        )
    )
    sandbox.pay(stranger, clock.now())
    day = clock.now().astimezone(CHINA).date()
    result = rerun(client, operator, day).json
    lines = {(line["outcome"], line["out_trade_no"]): line for line in result["lines"]}
    assert lines[("missing_there", dropped)]["ours_fen"] == payable
    assert (
        lines[("amount_differs", changed)]["ours_fen"],
        lines[("amount_differs", changed)]["theirs_fen"],
    ) == (payable, payable - 1)
    assert lines[("missing_here", stranger)]["theirs_fen"] == 100
    assert result["status"] == "differs"
    csv = client.get(f"/v1/admin/reconciliations/{result['id']}/csv", headers=operator)
    assert "金额不符" in csv.get_data(as_text=True) and changed in csv.get_data(as_text=True)
    listed = client.get("/v1/admin/reconciliations", headers=operator).json["reconciliations"]
    assert [(r["day"], r["status"]) for r in listed] == [(day.isoformat(), "differs")]


def test_the_job_reconciles_yesterday_once_its_statement_is_ready(client, clock, paid_day):
    _, operator = paid_day
    database = client.application.extensions["hourdelivery.db"]
    local = clock.now().astimezone(CHINA)
    next_morning = local.replace(hour=9, minute=59) + timedelta(days=1)
    run(database, "reconcile_payments", next_morning)  # the day before: ours is not ready
    days = client.get("/v1/admin/reconciliations", headers=operator).json["reconciliations"]
    assert local.date().isoformat() not in {r["day"] for r in days}
    report = run(database, "reconcile_payments", next_morning + timedelta(minutes=1))
    assert report.items == 1 and not report.failed
    days = client.get("/v1/admin/reconciliations", headers=operator).json["reconciliations"]
    assert days[0]["day"] == local.date().isoformat() and days[0]["matched"] >= 5
    assert run(database, "reconcile_payments", next_morning + timedelta(hours=1)).items == 0
