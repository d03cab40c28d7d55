"""The courier page and the tracking page in headless chromium, against a live server."""

import pytest

from tests.support.browser import screenshot
from tests.test_delivery_live import World

pytestmark = pytest.mark.live


@pytest.fixture
def world(live_server):
    built = World(live_server())
    yield built
    built.engine.dispose()


def test_a_courier_takes_an_offer_and_delivers_it_on_his_page(page, world):
    order = world.place()
    world.store_does(order["id"], "ACCEPTED")
    page.goto(world.server.url + "/courier")
    page.fill("#hd-token", world.couriers[0][1])
    page.click("#hd-signin-form button")
    page.check("#online")
    page.wait_for_selector("text=在线接单")
    page.fill("#lat", str(world.store.lat))
    page.fill("#lon", str(world.store.lon))
    page.click("#manual-location button")
    page.wait_for_selector("text=位置已发送")
    world.dispatch()
    page.wait_for_selector("#offer:not([hidden])")
    assert "秒" in page.inner_text("#offer-countdown")
    screenshot(page, "courier-offer")
    page.click("#accept")
    page.wait_for_selector("#job:not([hidden])")
    page.click("#arrived")
    page.wait_for_selector("text=已到店，等待取货")
    world.store_does(order["id"], "READY")
    page.wait_for_selector("#picked:not([disabled])")
    page.click("#picked")
    page.wait_for_selector("#deliver:not([hidden])")
    page.fill("#code", order["handoff_code"])
    screenshot(page, "courier-at-the-door")
    page.click("#deliver button")
    page.wait_for_selector("text=已送达，辛苦了！")
    page.wait_for_selector("#idle:not([hidden])")
    assert world.track(order["id"])["status"] == "DELIVERED"


def test_the_tracking_link_shows_the_timeline_an_eta_and_a_sketch(page, world):
    order = world.place()
    world.store_does(order["id"], "ACCEPTED")
    world.dispatch()
    courier = world.couriers[0][1]
    (offer,) = world.call("GET", "/v1/courier/offers", courier).json()["deliveries"]
    world.call("POST", f"/v1/courier/offers/{offer['id']}/accept", courier)
    # A share link shows the courier only while he carries the goods.
    world.store_does(order["id"], "READY")
    world.call("POST", f"/v1/courier/deliveries/{offer['id']}/picked-up", courier)
    point = {"lat": world.store.lat + 0.004, "lon": world.store.lon + 0.004}
    world.call("PUT", "/v1/courier/location", courier, json=point)
    share = world.track(order["id"])["share_token"]
    page.goto(f"{world.server.url}/track/{share}")
    page.wait_for_selector("text=骑手已接单")
    assert "分" in page.inner_text("#eta")
    assert page.locator("#map circle").count() == 3
    assert order["handoff_code"] not in page.content()
    screenshot(page, "tracking")
    page.goto(f"{world.server.url}/track/{'x' * 43}")
    page.wait_for_selector("text=跟踪链接无效")
