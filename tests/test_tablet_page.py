"""The tablet page in headless chromium against real gunicorn: sign in, see an order arrive,
accept it, short-pick, mark it ready, lose the connection and recover from the cursor."""

import pytest

from service.clock import SystemClock
from service.db import Database, make_engine
from tests.support.browser import screenshot
from tests.support.factories import TEST_CENTRE, make_city, make_consumers, make_store
from tests.support.payments import place_and_pay_live
from tests.support.tablets import store_token, tablet

pytestmark = pytest.mark.live
HOME = {"lat": TEST_CENTRE[0], "lon": TEST_CENTRE[1], "address": "测试路100号"}


@pytest.fixture
def shop(live_server):
    server = live_server()
    with Database(make_engine(server.database_url)).unit_of_work() as session:
        now = SystemClock().now()
        store = make_store(
            session,
            make_city(session),
            1.0,
            name="测试烘焙 五一店",
            stock={"BAK-0001": (20, 4800), "BAK-0002": (20, 1200)},
            **tablet(now),
        )
        token = store_token(session, store.id, now)
        ((_, consumer),) = make_consumers(session, 1, now)
    return server, token, consumer


def place(server, consumer, key) -> int:
    body = {
        "items": [{"sku": "BAK-0001", "qty": 2}, {"sku": "BAK-0002", "qty": 1}],
        "payment_method": "wechat",
        **HOME,
    }
    response = place_and_pay_live(server.url, body, {"Authorization": f"Bearer {consumer}"}, key)
    assert response.status_code == 201, response.text
    return response.json()["order"]["id"]


def test_tablet_takes_an_order_through_and_recovers_from_a_lost_connection(page, shop):
    server, token, consumer = shop
    page.goto(server.url + "/store")
    page.fill("#hd-token", token)
    page.click("#hd-signin-form button")
    page.wait_for_selector("#st-empty:visible")
    # The page holds a feed cursor: from now on orders arrive through the feed, announced.
    page.wait_for_function("Object.keys(localStorage).some(k => k.startsWith('hd.store.cursor'))")
    first = place(server, consumer, "one")
    card = page.locator(f"article[data-order-id='{first}']")
    card.wait_for()
    assert page.evaluate("document.body.dataset.announced") == "1"  # beep and flash
    card.locator(".st-accept").click()
    page.wait_for_selector(f"article[data-order-id='{first}'] .st-short")
    card.locator(".st-short").first.click()
    page.wait_for_selector(f"article[data-order-id='{first}'] tr.is-short")
    assert "1/2" in card.locator("tr.is-short").inner_text()
    card.locator(".st-ready").click()
    page.wait_for_function(
        f"document.querySelector(\"article[data-order-id='{first}'] .st-status\")"
        ".textContent === '待取货'"
    )
    # The connection drops: every API call fails, the page says so and keeps retrying.
    page.route("**/v1/**", lambda route: route.abort())
    # A feed poll already in flight is not cut by the route: it ends at its wait (20 s).
    page.wait_for_selector("#hd-conn:visible", timeout=30_000)
    second = place(server, consumer, "two")  # placed while the tablet is offline
    screenshot(page, "store-tablet-offline")
    page.unroute("**/v1/**")
    page.locator(f"article[data-order-id='{second}']").wait_for(timeout=20_000)
    page.wait_for_selector("#hd-conn", state="hidden")
    assert page.locator(f"article[data-order-id='{first}']").is_visible()
    screenshot(page, "store-tablet-recovered")
