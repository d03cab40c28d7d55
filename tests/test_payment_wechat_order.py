"""An order paid by WeChat Pay tells WeChat who pays: the client's address (H5's
scene_info.payer_client_ip, as seen through the trusted proxy) and, in WeChat, the consumer's
openid (JSAPI). Checked in the requests that reach a loopback stand-in of WeChat Pay."""

import json

import pytest

from service.app import create_app
from service.config import Settings
from service.payments import accounts
from tests.support.factories import TEST_CENTRE, make_city, make_consumers, make_store
from tests.support.provider_proxy import ProviderProxy
from tests.support.wechat_side import HOST, WechatSide

HOME = {"lat": TEST_CENTRE[0], "lon": TEST_CENTRE[1], "address": "测试路100号"}
BODY = {"items": [{"sku": "BAK-0001", "qty": 1}], "payment_method": "wechat", **HOME}
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
CLIENT, PROXY = "203.0.113.9", "10.0.0.5"  # the consumer; our nginx, which forwards for it


@pytest.fixture
def wechat(tmp_path, monkeypatch):
    side = WechatSide()
    proxy = ProviderProxy(tmp_path, [HOST], side)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(proxy.ca_file))
    accounts_file = tmp_path / "accounts.json"
    account = {"kind": "wechatpay_v3", **side.settings(proxy.url)}
    accounts_file.write_text(json.dumps({"wx-test": account}))
    side.accounts_file = accounts_file
    yield side
    proxy.stop()


@pytest.fixture
def shop(db, clock, session, wechat):
    """A city paying WeChat through the stand-in, behind one trusted proxy (nginx)."""
    settings = Settings(
        database_url="sqlite://",
        secret_key="test",
        testing=True,
        proxy_hops=1,
        payment_accounts_file=str(wechat.accounts_file),
    )
    client = create_app(settings, clock=clock, database=db).test_client()
    city = make_city(session, payment_accounts={"wechat": "wx-test"})
    make_store(session, city, 1.0, stock={"BAK-0001": (10, 4800)})
    (_, token), (_, other) = make_consumers(session, 2, clock.now())
    session.commit()
    yield client, [{"Authorization": f"Bearer {t}"} for t in (token, other)]
    accounts.configure(Settings(database_url="sqlite://", testing=True), clock=clock.now)


def place(client, consumer, body=BODY, key="k"):
    return client.post(
        "/v1/orders",
        json=body,
        headers={**consumer, "Idempotency-Key": key, "X-Forwarded-For": CLIENT},
        environ_base={"REMOTE_ADDR": PROXY},
    )


def prepays(wechat, kind: str) -> list[dict]:
    """The bodies of the prepay requests WeChat received (kind: h5 | jsapi)."""
    path = f"/v3/pay/transactions/{kind}"
    return [json.loads(r.body) for r in wechat.requests if r.path == path]


def test_an_h5_payment_tells_wechat_the_clients_address_seen_through_the_proxy(shop, wechat):
    client, (consumer, _) = shop
    placed = place(client, consumer)
    assert placed.status_code == 201, placed.json
    payment = placed.json["payment"]
    assert payment["pay_url"].startswith("https://wx.tenpay.com/")
    (sent,) = prepays(wechat, "h5")
    assert sent["scene_info"]["payer_client_ip"] == CLIENT
    assert sent["out_trade_no"] in wechat.trades and "payer" not in sent


def test_in_wechat_the_consumers_openid_opens_a_jsapi_payment(shop, wechat):
    client, (consumer, _) = shop
    placed = place(client, consumer, body={**BODY, "payer_openid": OPENID})
    assert placed.status_code == 201, placed.json
    (sent,) = prepays(wechat, "jsapi")
    assert sent["payer"] == {"openid": OPENID} and not prepays(wechat, "h5")
    params = placed.json["payment"]["client_params"]
    assert params["package"] == f"prepay_id={wechat.trades[sent['out_trade_no']]['prepay_id']}"
    assert params["paySign"] and placed.json["payment"]["pay_url"] is None


def test_pay_again_asks_wechat_with_this_requests_payer_when_the_first_ask_failed(
    shop, wechat, monkeypatch
):
    client, (consumer, _) = shop
    with monkeypatch.context() as down:
        down.setattr(wechat, "_pay", lambda *a, **k: wechat._json(503, {"code": "SYSTEM_ERROR"}))
        placed = place(client, consumer)
    assert placed.status_code == 201 and placed.json["payment"]["client_params"] == {}
    order_id = placed.json["order"]["id"]
    again = client.post(
        f"/v1/orders/{order_id}/pay",
        json={"payer_openid": OPENID},
        headers={**consumer, "X-Forwarded-For": CLIENT},
        environ_base={"REMOTE_ADDR": PROXY},
    )
    assert again.status_code == 200, again.json
    (sent,) = prepays(wechat, "jsapi")
    assert sent["payer"] == {"openid": OPENID}
    assert again.json["client_params"]["package"].startswith("prepay_id=")
    # asked and answered: the same payment again, with no body at all, asks nothing more
    same = client.post(f"/v1/orders/{order_id}/pay", headers=consumer)
    assert same.status_code == 200 and same.json["client_params"] == again.json["client_params"]
    assert len(prepays(wechat, "jsapi")) == 1


@pytest.mark.parametrize("openid", ["", "o" * 65, "oUpF8u MuAJO", "<script>"])
def test_an_openid_wechat_could_not_have_issued_is_refused_and_nothing_is_ordered(
    shop, wechat, openid
):
    client, (consumer, _) = shop
    refused = place(client, consumer, body={**BODY, "payer_openid": openid})
    assert refused.status_code == 422 and refused.json["error"]["field"] == "payer_openid"
    assert not wechat.requests
    assert client.get("/v1/orders", headers=consumer).json["orders"] == []
