"""A courier lets an offer lapse and gets it again: the real scheduler on a sped-up business
clock, a paid order at an auto_accept store, the only courier online in reach sees the offer on
his page, does not answer; it lapses and comes back to him with a fresh countdown; he accepts it
this time. Every step's zh-CN text is scanned for codes; no page logs a console error."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, text

from service.deliveries.models import Delivery
from tests.support.browser import screenshot
from tests.support.stories import assert_chinese
from tests.support.story_steps import (
    courier_online,
    menu_found_by_search,
    order_from_menu,
    sign_in_consumer,
    story_stack,
)

pytestmark = pytest.mark.live
SPEED = 4
OFFER_S = 60  # business seconds: 15 s on the wall clock here

# Remembers the lowest countdown seen; true once the countdown is back well above it (a new
# offer of the same job, not the old one's last seconds).
COUNTDOWN_RESTARTED = f"""() => {{
  const box = document.querySelector("#offer");
  if (!box || box.hidden) return false;
  const left = document.querySelector("#offer-countdown").textContent.match(/\\d+/);
  const n = left ? Number(left[0]) : NaN;
  if (Number.isNaN(n)) return false;
  window.hdLow = Math.min(window.hdLow ?? n, n);
  return n > window.hdLow + {OFFER_S // 3};
}}"""


@pytest.fixture
def stack(template, tmp_path):
    with story_stack(template, tmp_path, speed=SPEED) as started:
        started.sql(text("UPDATE cities SET offer_timeout_s = :s"), s=OFFER_S)
        started.sql(text("UPDATE couriers SET status = 'offline'"))  # he is the only one online
        yield started


def test_a_courier_lets_an_offer_lapse_and_gets_it_again(stack, browser):
    courier = courier_online(browser, stack, stack.tokens()["courier"])
    shop, store_id = menu_found_by_search(browser, stack)
    (store,) = stack.sql(
        text("SELECT name, intake_mode, lat, lon FROM stores WHERE id = :id"), id=store_id
    )
    assert store.intake_mode == "auto_accept"
    sign_in_consumer(shop)
    order_from_menu(shop, "五一大道 100 号 501")  # paid at the sandbox cashier

    courier.fill("#lat", str(store.lat))
    courier.fill("#lon", str(store.lon))
    courier.click("#manual-location button")
    expect(courier.locator("#location-state")).to_contain_text("位置已发送")
    expect(courier.locator("#offer")).to_be_visible(timeout=30_000)
    expect(courier.locator("#offer-store")).to_contain_text(store.name)
    assert_chinese(courier)
    screenshot(courier, "story-offer-first")

    # He does not answer: the offer runs out and the same job is offered to him again.
    courier.wait_for_function(COUNTDOWN_RESTARTED, polling=200, timeout=60_000)
    expect(courier.locator("#offer")).to_be_visible()
    expect(courier.locator("#offer-store")).to_contain_text(store.name)
    assert_chinese(courier)
    screenshot(courier, "story-offer-again")
    with stack.database.unit_of_work() as session:
        (lapsed, passed) = session.execute(
            select(Delivery.lapsed_courier_ids, Delivery.passed_courier_ids)
        ).one()
    assert lapsed and not passed  # a lapse, not a refusal

    courier.click("#accept")
    expect(courier.locator("#job")).to_be_visible()
    expect(courier.locator("#offer")).to_be_hidden()
    assert_chinese(courier)
    assert not stack.errors, stack.errors
