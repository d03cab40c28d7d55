"""Browser stories, in zh-CN, for each sign-in: the shop and the courier page by phone and SMS
code (demo mode shows the code the sink kept), the tablet by pairing code, the console by
password and TOTP (enrolled at first sign-in from the QR code's secret)."""

import pyotp
import pytest
import requests

from service.clock import SystemClock
from service.db import Database, make_engine
from service.seed.demo_sign_in import prepare_demo_sign_in
from tests.support.browser import screenshot

pytestmark = pytest.mark.live
SECRET = "pages-secret"


@pytest.fixture
def server(live_server):
    return live_server(env={"HD_DEMO": "1", "HD_RATELIMIT": "0", "SECRET_KEY": SECRET})


@pytest.fixture
def demo(server):
    with Database(make_engine(server.database_url)).unit_of_work() as session:
        return prepare_demo_sign_in(session=session, secret_key=SECRET, now=SystemClock().now())


def phone_sign_in(page, url, phone):
    page.goto(url)
    if url.endswith("/"):  # the shop opens signed out; its 登录 button asks for sign-in
        page.click("#hd-signin-open")
    page.fill("#si-phone", phone)
    page.click("#si-send")
    page.wait_for_selector("#si-note:visible")
    note = page.inner_text("#si-note")
    assert "演示模式：短信验证码" in note
    page.fill("#si-code", note.split()[-1])
    page.click("#si-go")
    page.wait_for_selector("#hd-main:visible")
    page.wait_for_function("document.getElementById('hd-who').textContent !== ''")


def test_a_shopper_signs_in_with_phone_and_code(page, server):
    phone_sign_in(page, server.url + "/", "138 1234 5678")
    assert page.inner_text("#hd-who") == "顾客5678"
    assert page.evaluate("JSON.parse(localStorage['hd.session.consumer']).refresh_token")
    screenshot(page, "sign-in-shop")


def test_a_wrong_code_is_refused_in_words(page, server):
    page.goto(server.url + "/")
    page.click("#hd-signin-open")
    page.fill("#si-phone", "13812345678")
    page.click("#si-send")
    page.wait_for_selector("#si-note:visible")
    page.fill("#si-code", "000000" if "000000" not in page.inner_text("#si-note") else "111111")
    page.click("#si-go")
    page.wait_for_selector("#si-error:visible")
    assert page.inner_text("#si-error") == "验证码错误、已使用或已过期"


def test_a_courier_signs_in_with_his_registered_number(page, server):
    phone_sign_in(page, server.url + "/courier", "13900000001")
    assert page.inner_text("#hd-who") == "赵师傅"


def test_a_tablet_pairs_with_the_stores_code_and_refreshes_silently(page, server, demo):
    page.goto(server.url + "/store")
    page.fill("#si-pair", demo.pairing_code)
    page.click("#si-pair-go")
    page.wait_for_selector("#hd-main:visible")
    assert page.inner_text("#hd-who") == demo.store
    # An access token the server no longer accepts: the page refreshes and carries on. The
    # tablet page is left first: still loading its queue, it would meet the bad token too and
    # spend the refresh token in a request cut off by the reload (the next page's refresh then
    # finds it spent and signs out).
    page.goto(server.url + "/healthz")
    page.evaluate("localStorage['hd.token.store'] = 'hda_expired'")
    page.goto(server.url + "/store")
    page.wait_for_selector("#hd-main:visible", timeout=30_000)  # a refresh more under load
    assert page.evaluate("localStorage['hd.token.store']") != "hda_expired"


def test_the_console_needs_password_and_totp_and_enrols_at_first_sign_in(page, server, demo):
    console = requests.post(
        server.url + "/v1/auth/operator/sign-in",
        json={
            "username": demo.operator,
            "password": demo.password,
            "totp": pyotp.TOTP(demo.totp_secret).now(),
        },
    ).json()["access_token"]
    made = requests.post(
        server.url + "/v1/admin/operators",
        json={"name": "新运营"},
        headers={"Authorization": f"Bearer {console}"},
    ).json()
    page.goto(server.url + "/admin")
    page.fill("#si-user", "新运营")
    page.fill("#si-pass", made["password"])
    page.click("#si-op-go")
    page.wait_for_selector("#si-qr:visible")
    secret = page.inner_text("#si-secret")
    page.fill("#si-totp", pyotp.TOTP(secret).now())
    page.click("#si-op-go")
    page.wait_for_selector("#hd-main:visible")
    assert page.inner_text("#hd-who") == "新运营"
    screenshot(page, "sign-in-console")


def test_the_console_registers_a_courier_disables_him_and_shows_the_trail(page, server, demo):
    page.goto(server.url + "/admin")
    page.fill("#si-user", demo.operator)
    page.fill("#si-pass", demo.password)
    page.fill("#si-totp", pyotp.TOTP(demo.totp_secret).now())
    page.click("#si-op-go")
    page.wait_for_selector("#acc-tools:visible")
    page.fill("#acc-cr-name", "新骑手")
    page.fill("#acc-cr-phone", "137 0000 2222")
    page.fill("#acc-cr-city", "1")
    page.click("#acc-cr-create")
    page.wait_for_function(
        "document.getElementById('acc-result').textContent.includes('137****2222')"
    )
    row = page.locator("#acc-list tr", has_text="新骑手")
    row.locator("button", has_text="停用").click()
    page.wait_for_selector("#acc-list tr:has-text('新骑手'):has-text('已停用')")
    page.wait_for_selector("#acc-audit li:has-text('停用')")
    screenshot(page, "sign-in-console-accounts")


def stored_session(page) -> dict:
    return page.evaluate("JSON.parse(localStorage['hd.session.consumer'] || 'null')")


def signed_in_as(server, session: dict) -> bool:
    me = requests.get(
        server.url + "/v1/me", headers={"Authorization": f"Bearer {session['access_token']}"}
    )
    return me.status_code == 200


def test_refreshes_inside_one_page_share_one_request(page, server):
    phone_sign_in(page, server.url + "/", "138 1234 5678")
    sent = []
    page.on("request", lambda r: sent.append(r) if r.url.endswith("/v1/auth/refresh") else None)
    both = page.evaluate(
        "Promise.all([HD.session.refresh('consumer'), HD.session.refresh('consumer')])"
    )
    assert both == [True, True]
    assert len(sent) == 1
    assert signed_in_as(server, stored_session(page))


def test_a_refusal_after_another_tab_refreshed_keeps_the_newer_session(page, server):
    phone_sign_in(page, server.url + "/", "138 1234 5678")
    held = []
    page.route("**/v1/auth/refresh", lambda route: held.append(route))
    page.evaluate("() => { window.refreshed = HD.session.refresh('consumer'); }")
    while not held:
        page.wait_for_timeout(100)
    # Meanwhile another tab of the page refreshed and stored its pair; this tab's answer is 401.
    other_tab = requests.post(
        server.url + "/v1/auth/refresh",
        json={"refresh_token": stored_session(page)["refresh_token"]},
    ).json()
    page.evaluate("s => { localStorage['hd.session.consumer'] = JSON.stringify(s); }", other_tab)
    held[0].fulfill(status=401, json={"error": {"code": "unauthenticated", "message": "spent"}})
    assert page.evaluate("window.refreshed") is True
    assert stored_session(page)["refresh_token"] == other_tab["refresh_token"]
    assert signed_in_as(server, stored_session(page))
