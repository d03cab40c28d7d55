"""Placing orders and paying them through the sandbox, as a consumer would (no switch skips it)."""

import json as _json
from urllib.parse import urlparse

import requests

from service.jobs.registry import JOBS
from service.jobs.runner import run_job


def cashier_path(payment: dict) -> str:
    """The sandbox cashier's path of a payment."""
    return urlparse(payment["pay_url"]).path


def pay(client, payment: dict, deliver: str = "now"):
    """Press "pay" at the sandbox cashier (in-process client); the cashier's JSON answer."""
    return client.post(cashier_path(payment), json={"action": "pay", "deliver": deliver})


def place_and_pay(client, body: dict, headers: dict, key: str = "k"):
    """POST /v1/orders, pay at the cashier, then read the order: a response-like object whose
    .json is {"order": <the paid order>, "breakdown", "payment"} (the refusal, if refused)."""
    placed = client.post("/v1/orders", json=body, headers={**headers, "Idempotency-Key": key})
    if placed.status_code != 201:
        return placed
    if placed.json["payment"]["status"] == "OPEN":  # a replay may find it paid already
        paid = pay(client, placed.json["payment"])
        assert paid.status_code == 200, paid.json
    order = client.get(f"/v1/orders/{placed.json['order']['id']}", headers=headers).json
    order["store"] = placed.json["order"]["store"]  # with the distance the placement measured
    return Paid(201, {**placed.json, "order": order})


def place_and_pay_live(url: str, body: dict, headers: dict, key: str = "k", timeout=30):
    """The same against a live server (requests)."""
    keyed = {**headers, "Idempotency-Key": key}
    placed = requests.post(url + "/v1/orders", json=body, headers=keyed, timeout=timeout)
    if placed.status_code != 201:
        return placed
    if placed.json()["payment"]["status"] == "OPEN":  # a replay may find it paid already
        paid = requests.post(
            url + cashier_path(placed.json()["payment"]),
            timeout=timeout,
            json={"action": "pay", "deliver": "now"},
        )
        assert paid.status_code == 200, paid.text
    order = requests.get(
        f"{url}/v1/orders/{placed.json()['order']['id']}", headers=headers, timeout=timeout
    ).json()
    order["store"] = placed.json()["order"]["store"]  # with the distance the placement measured
    return LivePaid(201, {**placed.json(), "order": order})


def run(database, name: str, now):
    """Run one job by name (each item its own transaction), as `hourdelivery jobs run` does."""
    return run_job(JOBS[name], database=database, now=now)


class Paid:
    """A test-client-like answer: status_code and json."""

    def __init__(self, status_code: int, json: dict):
        self.status_code = status_code
        self.json = json


class LivePaid(Paid):
    """A requests-like answer: status_code and json()."""

    def json(self):  # noqa: D102 - requests' shape
        return self._json

    def __init__(self, status_code: int, json: dict):
        self.status_code = status_code
        self._json = json
        self.ok = status_code < 400
        self.text = _json.dumps(json, ensure_ascii=False)


def settle_refunds(client) -> None:
    """Let the send_refunds job ask the sandbox for the refunds requested so far (as the
    scheduler would within seconds), so the ledger shows the money that went back."""
    app = client.application
    now = app.extensions["hourdelivery.clock"].now()
    run(app.extensions["hourdelivery.db"], "send_refunds", now)


def sandbox_in_process() -> None:
    """The sandbox account in this process, for orders placed by service calls (an app made
    earlier in the process configured it; a test run alone may have made none)."""
    from service.config import Settings
    from service.payments import accounts

    if "sandbox" not in accounts.configured():
        accounts.configure(Settings(database_url="sqlite://", testing=True))


def pay_in_session(session, order_id: int, now) -> str:
    """Pay an order inside the caller's unit of work, as the sandbox cashier and its signed
    notification would (for helpers that build orders by service calls); the outcome."""
    from datetime import timedelta

    from service.payments import accounts, settle
    from service.payments.providers.base import PayRequest
    from service.payments.service import payment_of

    sandbox_in_process()
    payment = payment_of(session, order_id)
    sandbox = accounts.provider(payment.account)
    sandbox.create(
        PayRequest(
            out_trade_no=payment.out_trade_no,
            amount_fen=payment.amount_fen,
            method=payment.method,
            description="",
            notify_url="",
            expire_at=max(payment.pay_by, now + timedelta(minutes=1)),
        )
    )
    body = sandbox.pay(payment.out_trade_no, now)
    answer = settle.receive(
        session, kind="sandbox", headers=sandbox.headers_for(body), body=body, now=now
    )
    assert answer.status == 200, answer.body
    return "paid"
