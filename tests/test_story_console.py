"""The operator console at a tablet size: campaigns with their city and issuer, a pause that
asks first and lands in the audit trail, stock sync per store with "sync now", the audit trail
filtered, store names in the report, empty lists that say they are empty, no codes, no errors."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.support.browser import screenshot
from tests.support.stories import TABLET, assert_chinese, open_page
from tests.support.story_steps import story_stack

pytestmark = pytest.mark.live


@pytest.fixture
def stack(template, tmp_path):
    with story_stack(template, tmp_path, scheduler=False) as started:
        yield started


def test_the_console_shows_sync_status_the_audit_trail_and_store_names(stack, browser):
    page = open_page(browser, stack, TABLET)
    page.goto(stack.url + "/admin")
    page.fill("#hd-token", stack.tokens()["operator"])
    page.click("#hd-signin-form button")
    campaign = page.locator(".adm-campaign").filter(has_text="长沙消费券")
    expect(campaign.locator(".adm-where")).to_contain_text("长沙市商务局")
    expect(page.locator("#sync tr").first).to_be_visible()
    expect(page.locator("#unassigned li")).to_have_text(["所有配送都有骑手。"])
    assert_chinese(page)
    screenshot(page, "story-console-1")

    row = page.locator("#sync tr").first
    store = row.locator("td").first.inner_text()
    assert store and not store.isdigit()
    row.get_by_role("button", name="立即同步").click()
    expect(page.locator("#sync-msg")).to_contain_text(store)
    assert_chinese(page)

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    campaign.get_by_role("button", name="暂停").click()  # dismissed: nothing changes
    expect(campaign.get_by_role("button", name="暂停")).to_be_enabled()
    assert asked and "暂停" in asked[0]
    page.once("dialog", lambda dialog: dialog.accept())
    campaign.get_by_role("button", name="暂停").click()
    expect(campaign.get_by_role("button", name="恢复")).to_be_visible()

    page.select_option("#audit-type", "campaign")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#audit li").first).to_contain_text("暂停活动")
    assert_chinese(page)
    page.select_option("#audit-type", "delivery")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#audit li")).to_have_text(["此筛选下没有变更记录。"])

    yesterday = datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)
    page.select_option("#audit-type", "")
    page.select_option("#audit-action", "campaign.pause")
    page.select_option("#audit-role", "operator")
    page.fill("#audit-since", yesterday.isoformat())
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#audit li")).to_have_count(1)
    expect(page.locator("#audit li")).to_contain_text(["运营 · 暂停活动"])
    assert_chinese(page)
    page.fill("#audit-since", (yesterday + timedelta(days=3)).isoformat())
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#audit li")).to_have_text(["此筛选下没有变更记录。"])
    page.fill("#audit-since", "")
    page.select_option("#audit-role", "store")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#audit li")).to_have_text(["此筛选下没有变更记录。"])

    campaign.get_by_role("button", name="报告").click()
    expect(page.locator("#report")).to_be_visible()
    expect(page.locator("#chart-stores")).not_to_contain_text("门店 ")
    assert_chinese(page)
    screenshot(page, "story-console-2-report")
    assert not stack.errors, stack.errors
