"""The shop as a new consumer walks it, in chromium at a phone size: signed out on the place and
the search, Back inside the app, the cart through a reload, the coupon the service says saves
most after every change, sign-in only to claim and order, the order once, then in my orders."""

import json

import pytest
import requests
from playwright.sync_api import expect

from tests.support.browser import screenshot
from tests.support.stories import TABLET, assert_chinese, open_page
from tests.support.story_steps import story_stack

pytestmark = pytest.mark.live


@pytest.fixture
def stack(template, tmp_path):
    with story_stack(template, tmp_path, scheduler=False) as started:
        yield started


def search(page, words: str) -> None:
    page.fill("#q", words)
    page.get_by_role("button", name="搜索", exact=True).click()
    expect(page.locator("#find-msg")).to_have_text("")


def add_first(page, words: str) -> None:
    search(page, words)
    page.locator("#results li.hit").first.get_by_role("button", name="加入购物车").click()


def best_is_the_services_suggestion(page, stack) -> None:
    """The coupon marked 最省 is /v1/quote's suggested coupon for the cart on the screen."""
    page.wait_for_function("!document.body.dataset.quoting")
    expect(page.locator("#quote-error")).to_have_count(0)
    cart = json.loads(page.evaluate("localStorage.getItem('hd.shop.cart')"))
    place = json.loads(page.evaluate("localStorage.getItem('hd.shop.at')"))
    token = page.evaluate("localStorage.getItem('hd.token.consumer')")
    items = [{"sku": line["sku"], "qty": line["qty"]} for line in cart["lines"]]
    body = {"items": items, "payment_method": "wechat", "lat": place["lat"], "lon": place["lon"]}
    quote = requests.post(
        stack.url + "/v1/quote", json=body, timeout=10, headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert "suggested_coupon" in quote, (body, quote)
    suggested = quote["suggested_coupon"]
    best = page.locator("#coupon-options li", has=page.locator(".tag.best"))
    if suggested is None:
        expect(best).to_have_count(0)
        return
    expect(best.locator("input")).to_have_value(str(suggested["coupon_id"]))
    expect(best.locator("input")).to_be_checked()
    expect(page.locator("#payable")).to_have_text(f"¥{suggested['payable_fen'] / 100:.2f}")


def test_a_new_consumer_shops_signed_out_claims_orders_once_and_finds_the_order_again(
    stack, browser
):
    page = open_page(browser, stack)
    page.goto(stack.url + "/")
    expect(page.locator(".sh-intro")).to_be_visible()  # what the service is, before any sign-in
    expect(page.locator("#hd-signin")).to_be_hidden()
    assert_chinese(page)
    page.fill("#place-q", "五一广场")  # a place found by name becomes the drop point
    page.get_by_role("button", name="找地点").click()
    found = page.locator("#place-results li").filter(has_text="五一广场").first
    expect(found).to_contain_text("长沙")
    assert_chinese(page)
    found.get_by_role("button", name="送到这里").click()
    expect(page.locator("#where-now")).to_contain_text("五一广场")
    where = page.locator("#where-now").inner_text()
    for words, expected in (("手机", "华为"), ("矿泉水", "农夫山泉"), ("伊利 牛奶", "伊利纯牛奶")):
        search(page, words)  # generic words, a category's name, two words at once
        expect(page.locator("#results li.hit").first).to_be_visible()
        expect(page.locator("#results")).to_contain_text(expected)
        assert_chinese(page)
    search(page, "牛奶")
    first = page.locator("#results li.hit").first
    expect(first).to_contain_text("伊利纯牛奶")
    assert_chinese(page)
    screenshot(page, "story-shop-1-search")
    first.locator("button.link").click()  # the best store's menu
    expect(page.locator("#store")).to_contain_text("配送半径")
    assert "store=" in page.url
    expect(page.locator("#store")).to_contain_text("营业")  # open now, and the hours in words
    assert_chinese(page)
    screenshot(page, "story-shop-2-store")
    page.go_back()  # Back: the results again, not another site
    expect(page.locator("#results li.hit").first).to_contain_text("伊利纯牛奶")
    expect(page.locator("#store")).to_be_hidden()
    first.get_by_role("button", name="加入购物车").click()
    expect(page.locator("#cart")).to_contain_text("登录后")  # signed out: goods total, no quote yet
    page.reload()  # the place and the cart survive
    expect(page.locator("#where-now")).to_have_text(where)
    expect(page.locator("#lines li")).to_have_count(1)
    assert_chinese(page)
    # Claiming asks for sign-in (the demo's one-click sign-in), then claims.
    page.get_by_role("button", name="登录领券").click()
    expect(page.locator("#hd-signin")).to_be_visible()
    page.get_by_role("button", name="演示用户 李雷").click()
    expect(page.locator("#hd-who")).to_have_text("李雷")
    city_coupons = page.locator("#campaigns li").filter(has_text="长沙消费券")
    city_coupons.get_by_role("button", name="领取").click()
    expect(page.locator("#coupon-msg")).to_contain_text("领到")
    best_is_the_services_suggestion(page, stack)
    for words in ("鲜鸡蛋", "农夫山泉"):  # the coupon follows the cart, one change at a time
        add_first(page, words)
        best_is_the_services_suggestion(page, stack)
        assert_chinese(page)
    page.locator("#lines li").first.get_by_role("button", name="加一件").click()
    best_is_the_services_suggestion(page, stack)
    screenshot(page, "story-shop-3-cart")
    page.locator("#place-order").click()  # no address: refused on the page
    expect(page.locator("#order-msg")).to_contain_text("请填写送货地址")
    page.fill("#address", "五一大道 100 号 3 栋 2 单元 501")
    page.locator("#place-order").dblclick()
    expect(page.locator("#pay-left")).to_contain_text("内完成支付")  # it waits for payment
    page.reload()  # a reload on the way: the order and its payment step are still there
    page.locator("#pay-go").click()  # the sandbox's cashier (demo mode)
    page.locator("#pay").click()
    expect(page.locator("#result")).to_have_text("支付成功")
    page.locator("#back").click()
    expect(page.locator("#order-status")).to_contain_text("门店")
    assert "order=" in page.url
    code = page.locator("#handoff-code").inner_text()
    assert len(code) == 4
    assert_chinese(page)
    screenshot(page, "story-shop-4-order")
    page.reload()  # the order, its status and hand-off code are still there
    expect(page.locator("#handoff-code")).to_have_text(code)
    page.get_by_role("button", name="我的订单", exact=True).click()
    expect(page.locator("#order-list li")).to_have_count(1)
    assert_chinese(page)
    page.set_viewport_size(TABLET)
    screenshot(page, "story-shop-5-orders-tablet")
    page.go_back()
    expect(page.locator("#handoff-code")).to_have_text(code)
    assert not stack.errors, stack.errors
