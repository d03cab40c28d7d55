"""Whole stories with the real scheduler on a sped-up business clock (12x): a consumer orders at
an auto_accept store and at the tablet store, reloads in the middle, follows the orders in "my
orders"; the tablet short-picks and the consumer sees the refund; the courier's page takes the
job to the door, a wrong code first; the share link stops showing the courier after delivery.
Every step's zh-CN text is scanned for codes and stray English; no page logs a console error."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.support.browser import screenshot
from tests.support.stories import assert_chinese
from tests.support.story_steps import (
    courier_online,
    menu_found_by_search,
    order_from_menu,
    sign_in_consumer,
    story_stack,
    tablet_signed_in,
)

pytestmark = pytest.mark.live
SPEED = 12


@pytest.fixture
def stack(template, tmp_path):
    with story_stack(template, tmp_path, speed=SPEED) as started:
        # Offers wait for a person who reads them (30 business minutes = 150 s here); the tablet
        # store is the one who decides its orders, not a deadline racing a 12x clock.
        started.sql(text("UPDATE cities SET offer_timeout_s = 1800"))
        started.sql(text("UPDATE stores SET accept_timeout_s = 3600 WHERE intake_mode = 'tablet'"))
        yield started


def courier_takes_the_job(courier, store_point: tuple[float, float]) -> None:
    courier.fill("#lat", str(store_point[0]))
    courier.fill("#lon", str(store_point[1]))
    courier.click("#manual-location button")
    expect(courier.locator("#location-state")).to_contain_text("位置已发送")
    expect(courier.locator("#offer")).to_be_visible(timeout=30_000)
    assert_chinese(courier)
    courier.click("#accept")
    expect(courier.locator("#job")).to_be_visible()
    courier.click("#arrived")
    expect(courier.locator("#job-status")).to_contain_text("已到店")


def test_orders_at_an_auto_store_and_the_tablet_store_reach_the_door(stack, browser):
    tokens = stack.tokens()
    (tablet_store,) = stack.sql(
        text(
            "SELECT id, name, lat, lon FROM stores WHERE intake_mode = 'tablet' ORDER BY id LIMIT 1"
        )
    )
    # The tablet signs in first: a store whose tablet is silent takes no orders.
    tablet = tablet_signed_in(browser, stack, tokens["store"])
    courier = courier_online(browser, stack, tokens["courier"])

    # 1. An auto_accept store: found through the search, ordered from its menu.
    shop, store_id = menu_found_by_search(browser, stack)
    (auto,) = stack.sql(
        text("SELECT intake_mode, lat, lon FROM stores WHERE id = :id"), id=store_id
    )
    assert auto.intake_mode == "auto_accept"
    stack.sql(text("UPDATE stores SET prep_minutes = 3 WHERE id = :id"), id=store_id)
    sign_in_consumer(shop)
    code = order_from_menu(shop, "五一大道 100 号 501")
    expect(shop.locator("#order-status")).to_have_text("门店已接单，正在备货")
    assert_chinese(shop)
    shop.reload()  # in the middle: the order and its code are still on the screen
    expect(shop.locator("#handoff-code")).to_have_text(code)

    courier_takes_the_job(courier, (auto.lat, auto.lon))
    # The store's own system never says READY: the scheduler does, after its preparation time.
    expect(courier.locator("#picked")).to_be_enabled(timeout=60_000)
    courier.click("#picked")
    expect(courier.locator("#deliver")).to_be_visible()
    shop.locator("#track-link").click()  # the public link: the courier is on the way
    expect(shop.locator("#courier-line")).to_contain_text("骑手", timeout=15_000)
    expect(shop.locator("#map circle")).to_have_count(3)
    assert_chinese(shop)
    screenshot(shop, "story-track-carrying")
    wrong = "0000" if code != "0000" else "1111"
    courier.fill("#code", wrong)
    courier.click("#deliver button")
    expect(courier.locator("#message")).to_contain_text("收货码不对")
    assert_chinese(courier)
    screenshot(courier, "story-courier-wrong-code")
    courier.fill("#code", code)
    courier.click("#deliver button")
    expect(courier.locator("#message")).to_have_text("已送达，辛苦了！")
    expect(shop.locator("#eta")).to_have_text("已送达", timeout=15_000)
    expect(shop.locator("#map circle")).to_have_count(2)  # the courier no longer on the map
    expect(shop.locator("#courier-line")).to_have_text("")
    shop.go_back()
    expect(shop.locator("#order-status")).to_have_text("已送达", timeout=15_000)
    assert_chinese(shop)

    # 2. The tablet store: the consumer's location is the store's street; the staff short-pick.
    shop.context.set_geolocation({"latitude": tablet_store.lat, "longitude": tablet_store.lon})
    shop.goto(f"{stack.url}/?store={tablet_store.id}")
    shop.get_by_role("button", name="使用我的位置").click()
    expect(shop.locator("#where-now")).to_contain_text("送至")
    code = order_from_menu(shop, "测试路 8 号", units=2)
    expect(shop.locator("#order-status")).to_have_text("已下单，等待门店接单")
    card = tablet.locator("article.st-order").first
    expect(card).to_be_visible(timeout=20_000)
    assert_chinese(tablet)
    card.locator(".st-accept").click()
    card.locator(".st-short").first.click()
    expect(card.locator("tr.is-short")).to_have_count(1)
    expect(card.locator(".st-total")).to_contain_text("缺货退")  # the tablet shows the net
    assert_chinese(tablet)
    screenshot(tablet, "story-tablet-short-pick")
    shop.reload()
    expect(shop.locator("#short-pick")).to_contain_text("缺 1 件")
    # The refund goes back through the provider (send_refunds, every 5 s) and the open order's
    # page reads it again every 5 s: the refund row appears once the money has moved.
    expect(shop.locator("#order-refund")).to_be_visible(timeout=30_000)
    expect(shop.locator("#order-net")).to_be_visible()
    assert_chinese(shop)
    screenshot(shop, "story-shop-short-pick")
    shop.get_by_role("button", name="我的订单", exact=True).click()
    expect(shop.locator("#order-list li")).to_have_count(2)
    assert_chinese(shop)
    assert not stack.errors, stack.errors
