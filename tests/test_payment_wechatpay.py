"""The wechatpay_v3 adapter against a loopback stand-in of WeChat Pay (through the SDK's proxy)."""

from datetime import date, timedelta

import pytest

from service.payments.providers.base import (
    CLOSED,
    NOTPAY,
    PROCESSING,
    REFUND_SUCCESS,
    SUCCESS,
    NotificationRejected,
    PayRequest,
    ProviderError,
    provider_for,
)
from tests.support.provider_proxy import (
    NOW,
    ProviderProxy,
    notify_url,
    open_trade,
    pem_private,
    rsa_key,
)
from tests.support.wechat_side import HOST, WechatSide

NOTIFY = notify_url("wechatpay_v3")


@pytest.fixture
def wechat(tmp_path, monkeypatch):
    side = WechatSide()
    proxy = ProviderProxy(tmp_path, [HOST], side)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(proxy.ca_file))
    side.proxy_url = proxy.url
    side.provider = provider_for("wechatpay_v3", side.settings(proxy.url))
    yield side
    proxy.stop()


def _open(wechat, number="T" * 32, amount=3550):
    return open_trade(wechat.provider, "wechatpay_v3", "wechat", number, amount)


def test_an_h5_payment_opens_with_a_signed_request_and_expires_at_pay_by(wechat):
    prepay = _open(wechat)
    assert prepay.pay_url.startswith("https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb")
    trade = wechat.trades["T" * 32]
    assert trade["total"] == 3550
    assert trade["time_expire"] == "2026-12-06T12:15:00+08:00"
    assert trade["notify_url"] == NOTIFY
    assert _open(wechat).pay_url == prepay.pay_url  # the same number twice is one payment


def test_a_jsapi_payment_gives_the_client_signed_parameters(wechat):
    request = PayRequest(
        out_trade_no="J" * 32,
        amount_fen=100,
        method="wechat",
        description="小时达订单",
        expire_at=NOW,
        notify_url=NOTIFY,
        payer_openid="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
    )
    prepay = wechat.provider.create(request)
    params = prepay.client_params
    assert params["package"] == f"prepay_id={wechat.trades['J' * 32]['prepay_id']}"
    assert params["appId"] == wechat.appid and params["signType"] == "RSA" and params["paySign"]


def test_a_signed_payment_notification_is_decrypted_and_read(wechat):
    _open(wechat)
    headers, body = wechat.pay("T" * 32, NOW)
    notice = wechat.provider.parse_notification(headers, body)
    assert (notice.kind, notice.status, notice.amount_fen) == ("payment", SUCCESS, 3550)
    assert notice.merchant == wechat.mchid and notice.method == "wechat"
    assert notice.provider_trade_no == wechat.trades["T" * 32]["transaction_id"]
    assert notice.at == NOW
    lower = {key.lower(): value for key, value in headers.items()}  # any header case verifies
    assert wechat.provider.parse_notification(lower, body).out_trade_no == "T" * 32


def test_a_forged_notification_is_rejected(wechat):
    _open(wechat)
    headers, body = wechat.pay("T" * 32, NOW)
    forged = body.replace(b"TRANSACTION.SUCCESS", b"TRANSACTION.SUCCESS ")
    with pytest.raises(NotificationRejected):
        wechat.provider.parse_notification(headers, forged)
    with pytest.raises(NotificationRejected):
        wechat.provider.parse_notification({**headers, "Wechatpay-Serial": "PUB_KEY_ID_X"}, body)
    # signed by WeChat's key but encrypted under another APIv3 key: not decryptable, refused
    resource = wechat.transaction("T" * 32)
    headers, body = wechat.notification("TRANSACTION.SUCCESS", "transaction", resource, "k" * 32)
    with pytest.raises(NotificationRejected):
        wechat.provider.parse_notification(headers, body)


def test_query_says_unpaid_then_paid(wechat):
    assert wechat.provider.query("T" * 32).status == NOTPAY  # WeChat does not know it yet
    _open(wechat)
    assert wechat.provider.query("T" * 32).status == NOTPAY
    wechat.pay("T" * 32, NOW)
    state = wechat.provider.query("T" * 32)
    assert (state.status, state.amount_fen, state.at) == (SUCCESS, 3550, NOW)


def test_closing_an_unpaid_payment_closes_it_and_a_paid_one_stays_paid(wechat):
    _open(wechat, "A" * 32)
    assert wechat.provider.close("A" * 32).status == CLOSED
    assert wechat.trades["A" * 32]["state"] == "CLOSED"
    _open(wechat, "B" * 32)
    wechat.pay("B" * 32, NOW)
    assert wechat.provider.close("B" * 32).status == SUCCESS


def test_a_refund_is_asked_once_per_number_and_its_notification_and_query_agree(wechat):
    _open(wechat)
    wechat.pay("T" * 32, NOW)
    ask = dict(out_trade_no="T" * 32, out_refund_no="T" * 32 + "-cancel", total_fen=3550)
    first = wechat.provider.refund(**ask, amount_fen=1200, reason="顾客取消")
    again = wechat.provider.refund(**ask, amount_fen=1200, reason="顾客取消")
    assert (first.status, first.amount_fen) == (PROCESSING, 1200) and len(wechat.refunds) == 1
    assert again.out_refund_no == first.out_refund_no
    headers, body = wechat.refund_succeeds("T" * 32 + "-cancel", NOW + timedelta(minutes=1))
    notice = wechat.provider.parse_notification(headers, body)
    assert (notice.kind, notice.status, notice.amount_fen) == ("refund", REFUND_SUCCESS, 1200)
    assert notice.out_refund_no == "T" * 32 + "-cancel" and notice.out_trade_no == "T" * 32
    state = wechat.provider.query_refund("T" * 32 + "-cancel")
    assert (state.status, state.amount_fen) == (REFUND_SUCCESS, 1200)


def test_the_trade_bill_is_downloaded_checked_and_read(wechat):
    _open(wechat, "A" * 32, 3550)
    _open(wechat, "B" * 32, 990)
    wechat.pay("A" * 32, NOW)
    wechat.pay("B" * 32, NOW + timedelta(days=1))  # another day's payment
    wechat.provider.refund(
        out_trade_no="A" * 32,
        out_refund_no="A" * 32 + "-late",
        amount_fen=50,
        total_fen=3550,
        reason="",
    )
    wechat.refund_succeeds("A" * 32 + "-late", NOW + timedelta(hours=1))
    lines = wechat.provider.statement(date(2026, 12, 6))
    assert [(x.kind, x.out_trade_no, x.amount_fen, x.out_refund_no) for x in lines] == [
        ("payment", "A" * 32, 3550, ""),
        ("refund", "A" * 32, 50, "A" * 32 + "-late"),
    ]


def test_a_request_signed_with_another_key_is_a_provider_error_naming_no_key(wechat, tmp_path):
    settings = {**wechat.settings(wechat.proxy_url), "private_key": pem_private(rsa_key())}
    provider = provider_for("wechatpay_v3", settings)
    with pytest.raises(ProviderError) as refused:
        provider.query("T" * 32)
    assert "401" in str(refused.value)
    assert wechat.apiv3_key not in str(refused.value) and "KEY" not in str(refused.value)
