"""The shop page in headless chromium, as a new user walks it: from a location to the order."""

import re

import requests
from playwright.sync_api import expect
from sqlalchemy import func, select

from service.db import make_engine
from service.orders.models import Order
from tests.support.browser import screenshot


def yuan(text: str) -> float:
    return float(text.replace("¥", ""))


def test_a_new_user_finds_milk_claims_a_coupon_and_orders_once(live_server, page, monkeypatch,
                                                                 template):  # fmt: skip
    monkeypatch.setenv("HD_DEMO", "1")  # the server lists the demo consumers to sign in as
    server = live_server()
    urls = []
    page.on("request", lambda request: urls.append(request.url))
    page.goto(server.url + "/")
    page.get_by_role("button", name="演示用户 李雷").click()
    expect(page.locator("#hd-who")).to_have_text("李雷")
    page.select_option("#place", label="长沙 · 五一广场")
    page.fill("#q", "牛奶")
    page.get_by_role("button", name="搜索").click()
    first = page.locator("#results li.hit").first
    expect(first).to_contain_text("伊利纯牛奶")
    screenshot(page, "shop-1-search")
    first.locator("button.link").click()  # the best store's page and menu
    expect(page.locator("#store")).to_contain_text("配送半径")
    screenshot(page, "shop-1b-store")
    page.get_by_role("button", name="返回搜索结果").click()
    first.get_by_role("button", name="加入购物车").click()
    expect(page.locator("#payable")).to_be_visible()
    before = yuan(page.locator("#payable").inner_text())
    city_coupons = page.locator("#campaigns li").filter(has_text="长沙消费券")  # 满30减10 fits milk
    city_coupons.get_by_role("button", name="领取").click()
    expect(page.locator("#coupon-msg")).to_contain_text("领到")
    expect(page.locator("#payable")).not_to_have_text(f"¥{before:.2f}")
    assert yuan(page.locator("#payable").inner_text()) < before
    screenshot(page, "shop-2-cart")
    page.locator("#place-order").dblclick()
    # Seed stores take orders automatically (auto_accept): placed, then accepted at once.
    expect(page.locator("#order-status")).to_have_text("门店已接单，正在备货")
    expect(page.locator("#timeline li")).to_have_count(2)
    expect(page.locator("#track-link")).to_have_attribute("href", re.compile(r"^/track/[\w-]{43}$"))
    screenshot(page, "shop-3-order")
    token = page.evaluate("localStorage.getItem('hd.token.consumer')")
    assert token and not [url for url in urls if token in url]  # never a token in a URL
    engine = make_engine(server.database_url)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Order)).scalar() == 1
    engine.dispose()


def test_demo_sign_in_is_404_outside_demo_mode(live_server):
    server = live_server()
    assert requests.get(server.url + "/v1/demo/consumers", timeout=10).status_code == 404
    assert requests.post(server.url + "/v1/demo/consumers/1/token", timeout=10).status_code == 404
    assert "演示" not in requests.get(server.url + "/", timeout=10).text
