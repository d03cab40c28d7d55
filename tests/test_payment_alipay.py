"""The alipay adapter against a loopback stand-in of Alipay's gateway (through HTTPS_PROXY)."""

import urllib.request
from datetime import date, timedelta

import pytest

from service.payments.providers.base import (
    CLOSED,
    NOTPAY,
    REFUND_SUCCESS,
    SUCCESS,
    NotificationRejected,
    ProviderError,
    provider_for,
)
from tests.support.alipay_side import HOSTS, AlipaySide
from tests.support.provider_proxy import (
    NOW,
    ProviderProxy,
    notify_url,
    open_trade,
    pem_private,
    rsa_key,
)

NOTIFY = notify_url("alipay")
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


@pytest.fixture
def alipay(tmp_path, monkeypatch):
    side = AlipaySide()
    proxy = ProviderProxy(tmp_path, HOSTS, side)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("SSL_CERT_FILE", str(proxy.ca_file))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    # urllib keeps the first opener it builds (and the proxies it saw then): start afresh
    urllib.request.install_opener(None)
    side.provider = provider_for("alipay", side.settings())
    yield side
    urllib.request.install_opener(None)
    proxy.stop()


def _open(alipay, number="T" * 32, amount=3550):
    prepay = open_trade(alipay.provider, "alipay", "alipay", number, amount)
    alipay.buyer_opens(prepay.pay_url)
    return prepay


def test_the_wap_pay_url_and_app_order_string_are_signed_and_expire_at_pay_by(alipay):
    prepay = _open(alipay)
    assert prepay.pay_url.startswith("https://openapi.alipay.com/gateway.do?")
    trade = alipay.trades["T" * 32]
    assert (trade["total"], trade["notify_url"]) == (3550, NOTIFY)
    assert (trade["time_expire"], trade["product_code"]) == ("2026-12-06 12:15:00", "QUICK_WAP_PAY")
    app = dict(urllib.parse.parse_qsl(prepay.client_params["order_string"]))
    assert alipay.verified(app) and app["method"] == "alipay.trade.app.pay"


def test_a_signed_payment_notification_is_read(alipay):
    _open(alipay)
    notice = alipay.provider.parse_notification(FORM, alipay.pay("T" * 32, NOW))
    assert (notice.kind, notice.status, notice.amount_fen) == ("payment", SUCCESS, 3550)
    assert (notice.merchant, notice.method, notice.at) == (alipay.appid, "alipay", NOW)
    assert notice.provider_trade_no == alipay.trades["T" * 32]["trade_no"]


def test_a_forged_notification_is_rejected(alipay):
    _open(alipay)
    body = alipay.pay("T" * 32, NOW)
    with pytest.raises(NotificationRejected):
        alipay.provider.parse_notification(
            FORM, body.replace(b"total_amount=35.50", b"total_amount=0.01")
        )
    forged = alipay.notification("T" * 32, {"trade_status": "TRADE_SUCCESS"}, key=rsa_key())
    with pytest.raises(NotificationRejected):
        alipay.provider.parse_notification(FORM, forged)
    with pytest.raises(NotificationRejected):
        alipay.provider.parse_notification(FORM, b"\xff\xfe")


def test_query_maps_alipays_states(alipay):
    assert alipay.provider.query("T" * 32).status == NOTPAY  # the buyer never opened it
    _open(alipay)
    assert alipay.provider.query("T" * 32).status == NOTPAY  # WAIT_BUYER_PAY
    alipay.pay("T" * 32, NOW)
    state = alipay.provider.query("T" * 32)
    assert (state.status, state.amount_fen, state.at) == (SUCCESS, 3550, NOW)


def test_closing_an_unpaid_payment_closes_it_and_a_paid_one_stays_paid(alipay):
    _open(alipay, "A" * 32)
    assert alipay.provider.close("A" * 32).status == CLOSED
    assert alipay.trades["A" * 32]["status"] == "TRADE_CLOSED"
    assert alipay.provider.close("N" * 32).status == CLOSED  # never opened: nothing to pay
    _open(alipay, "B" * 32)
    alipay.pay("B" * 32, NOW)
    assert alipay.provider.close("B" * 32).status == SUCCESS


def test_a_refund_is_made_once_per_request_number_and_its_query_and_notification_agree(alipay):
    _open(alipay)
    alipay.pay("T" * 32, NOW)
    ask = dict(out_trade_no="T" * 32, out_refund_no="T" * 32 + "-cancel", total_fen=3550)
    first = alipay.provider.refund(**ask, amount_fen=1200, reason="顾客取消")
    again = alipay.provider.refund(**ask, amount_fen=1200, reason="顾客取消")
    assert (first.status, first.amount_fen, again.status) == (REFUND_SUCCESS, 1200, REFUND_SUCCESS)
    assert len(alipay.refunds) == 1
    state = alipay.provider.query_refund("T" * 32 + "-cancel")
    assert (state.status, state.amount_fen) == (REFUND_SUCCESS, 1200)
    assert alipay.provider.query_refund("T" * 32 + "-other").status != REFUND_SUCCESS
    fields = {
        "trade_status": "TRADE_SUCCESS",
        "refund_fee": "12.00",
        "out_biz_no": "T" * 32 + "-cancel",
        "gmt_refund": "2026-12-06 12:01:00",
    }
    notice = alipay.provider.parse_notification(FORM, alipay.notification("T" * 32, fields))
    assert (notice.kind, notice.status, notice.amount_fen) == ("refund", REFUND_SUCCESS, 1200)
    assert notice.out_refund_no == "T" * 32 + "-cancel"


def test_the_bill_is_found_downloaded_and_read(alipay):
    _open(alipay, "A" * 32, 3550)
    _open(alipay, "B" * 32, 990)
    alipay.pay("A" * 32, NOW)
    alipay.pay("B" * 32, NOW + timedelta(days=1))
    alipay.clock = lambda: NOW + timedelta(hours=1)
    alipay.provider.refund(
        out_trade_no="A" * 32,
        out_refund_no="A" * 32 + "-late",
        amount_fen=50,
        total_fen=3550,
        reason="",
    )
    lines = alipay.provider.statement(date(2026, 12, 6))
    assert [(x.kind, x.out_trade_no, x.amount_fen, x.out_refund_no) for x in lines] == [
        ("payment", "A" * 32, 3550, ""),
        ("refund", "A" * 32, 50, "A" * 32 + "-late"),
    ]
    assert alipay.provider.statement(date(2020, 1, 1)) == []


def test_a_request_signed_with_another_key_is_a_provider_error_naming_no_key(alipay):
    settings = {**alipay.settings(), "app_private_key": pem_private(rsa_key())}
    with pytest.raises(ProviderError) as refused:
        provider_for("alipay", settings).query("T" * 32)
    assert "40002" in str(refused.value) and "KEY" not in str(refused.value)
