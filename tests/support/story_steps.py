"""Steps the browser stories share: a stack per test, the tablet and the courier signed in,
a consumer who finds an auto_accept store by searching, signs in, orders and pays."""

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Page, expect
from sqlalchemy import text

from tests.support.stories import TABLET, Stack, open_page, start_stack

WUYI = {"latitude": 28.1952, "longitude": 112.9768}  # 五一广场, central Changsha


@contextmanager
def story_stack(template, tmp_path, **options) -> Iterator[Stack]:
    """A stack on a copy of the template database, stopped and dropped afterwards."""
    started = start_stack(template.copy(), tmp_path, **options)
    try:
        yield started
    finally:
        started.stop()
        started.server.stop(quick=True)
        template.drop(started.server.database_url)


def tablet_signed_in(browser, stack: Stack, token: str) -> Page:
    """The store page at a tablet size, signed in with the store's token, its queue empty."""
    tablet = open_page(browser, stack, TABLET)
    tablet.goto(stack.url + "/store")
    tablet.fill("#hd-token", token)
    tablet.click("#hd-signin-form button")
    expect(tablet.locator("#st-empty")).to_be_visible()
    return tablet


def courier_online(browser, stack: Stack, token: str) -> Page:
    """The courier page, signed in with the courier's token and switched online."""
    courier = open_page(browser, stack)
    courier.goto(stack.url + "/courier")
    courier.fill("#hd-token", token)
    courier.click("#hd-signin-form button")
    courier.check("#online")
    expect(courier.locator("#online-label")).to_have_text("在线接单")
    return courier


def menu_found_by_search(browser, stack: Stack, words: str = "牛奶") -> tuple[Page, int]:
    """The shop at 五一广场 by the browser's location: the first hit's store menu, and its id."""
    shop = open_page(browser, stack, geolocation=WUYI, permissions=["geolocation"])
    shop.goto(stack.url + "/")
    shop.get_by_role("button", name="使用我的位置").click()
    expect(shop.locator("#where-now")).to_contain_text("送至")
    shop.fill("#q", words)
    shop.get_by_role("button", name="搜索", exact=True).click()
    shop.locator("#results li.hit").first.locator("button.link").click()
    expect(shop.locator("#menu li").first).to_be_visible()
    return shop, int(shop.url.split("store=")[1].split("&")[0])


def sign_in_consumer(page: Page) -> None:
    """Demo mode's one-click sign-in as 李雷."""
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_role("button", name="演示用户 李雷").click()
    expect(page.locator("#hd-who")).to_have_text("李雷")


def order_from_menu(page: Page, address: str, units: int = 1) -> str:
    """Add the menu's first item in stock `units` times, order, pay at the sandbox cashier;
    the hand-off code."""
    item = page.locator("#menu li").filter(has=page.locator(".tag.in")).first
    for _ in range(units):
        item.get_by_role("button", name="加入").click()
    page.wait_for_function("!document.body.dataset.quoting")
    page.fill("#address", address)
    page.locator("#place-order").click()
    page.locator("#pay-go").click(timeout=20_000)  # the order waits for payment: the cashier
    page.locator("#pay").click()
    expect(page.locator("#result")).to_have_text("支付成功")
    page.locator("#back").click()
    expect(page.locator("#handoff-code")).to_be_visible(timeout=20_000)
    return page.locator("#handoff-code").inner_text()


def one_unit_order(stack: Stack, store_id: int, lat: float, lon: float) -> dict:
    """An order body for one unit of the store's dearest SKU with stock to spare, delivered at
    the store's own point."""
    ((sku,),) = stack.sql(
        text(
            "SELECT p.sku FROM store_stock s JOIN products p ON p.id = s.product_id"
            " WHERE s.store_id = :id AND s.on_hand - s.reserved > 5"
            " ORDER BY s.price_fen DESC LIMIT 1"
        ),
        id=store_id,
    )
    return {
        "items": [{"sku": sku, "qty": 1}],
        "payment_method": "wechat",
        "lat": lat,
        "lon": lon,
        "store_id": store_id,
        "address": "测试路 8 号",
    }
