"""The tablet and the courier pages recover by themselves after the server was down 20 s: the
offline banner goes, the courier's "offline" message clears, and an order placed after the
restart reaches the tablet without anyone touching it."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.support.payments import place_and_pay_live
from tests.support.stories import assert_chinese, restart_after
from tests.support.story_steps import (
    courier_online,
    one_unit_order,
    story_stack,
    tablet_signed_in,
)

pytestmark = pytest.mark.live


@pytest.fixture
def stack(template, tmp_path):
    with story_stack(template, tmp_path, scheduler=False) as started:
        yield started


def test_the_tablet_and_the_courier_recover_after_the_server_was_down(stack, browser, tmp_path):
    tokens = stack.tokens()
    tablet = tablet_signed_in(browser, stack, tokens["store"])
    courier = courier_online(browser, stack, tokens["courier"])

    restart_after(stack, tmp_path, down_s=20)
    expect(courier.locator("#hd-conn")).to_be_hidden(timeout=20_000)
    expect(courier.locator("#message")).not_to_contain_text("网络", timeout=20_000)
    assert_chinese(courier)

    tablet_store = (
        "SELECT id, lat, lon FROM stores WHERE intake_mode = 'tablet' ORDER BY id LIMIT 1"
    )
    (store_id, lat, lon) = stack.sql(text(tablet_store))[0]
    body = one_unit_order(stack, store_id, lat, lon)
    headers = {"Authorization": f"Bearer {tokens['consumer']}"}
    placed = place_and_pay_live(stack.url, body, headers, "after-restart")  # unpaid: unseen
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order"]["id"]
    expect(tablet.locator(f"article[data-order-id='{order_id}']")).to_be_visible(timeout=40_000)
    expect(tablet.locator("#hd-conn")).to_be_hidden()
    assert_chinese(tablet)
    # While the server was down the browser noted the refused connections; nothing else.
    assert not [e for e in stack.errors if "net::ERR_CONNECTION" not in e], stack.errors
