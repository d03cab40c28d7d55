"""A city's finance officer on the console's payments page, at a tablet size: reached from the
console's header, a refund the provider refused asked for again (then pending), the day re-run
against the provider's statement with each differing line in words, the day exported as a
spreadsheet, the latest payments; Chinese throughout (the providers' reference numbers aside),
no errors."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import text

from service.clock import ScaledClock
from service.payments.providers.base import PayRequest
from service.payments.providers.sandbox import SandboxProvider
from service.payments.providers.wechat_bill import CHINA
from tests.support.browser import screenshot
from tests.support.payments import place_and_pay_live
from tests.support.stories import TABLET, assert_chinese, open_page
from tests.support.story_steps import one_unit_order, story_stack

pytestmark = pytest.mark.live


@pytest.fixture
def stack(template, tmp_path, monkeypatch):
    # Its own sandbox books: the day's statement holds this story's payments only.
    monkeypatch.setenv("HD_PAY_SANDBOX_DB", str(tmp_path / "sandbox.sqlite3"))
    with story_stack(template, tmp_path, scheduler=False) as started:
        yield started


def paid_orders(stack, consumer: str, count: int) -> list[dict]:
    """`count` orders at a store that accepts by itself, each paid at the sandbox cashier."""
    (store_id, lat, lon) = stack.sql(
        text(
            "SELECT id, lat, lon FROM stores WHERE intake_mode = 'auto_accept' AND active"
            " ORDER BY id LIMIT 1"
        )
    )[0]
    body = one_unit_order(stack, store_id, lat, lon)
    headers = {"Authorization": f"Bearer {consumer}"}
    placed = [place_and_pay_live(stack.url, body, headers, f"fin-{n}") for n in range(count)]
    assert all(p.status_code == 201 for p in placed), [p.text for p in placed]
    return [p.json() for p in placed]


def trade_no(placed: dict) -> str:
    return placed["payment"]["pay_url"].rsplit("/", 1)[1]


def run_job(stack, name: str) -> None:
    """`hourdelivery jobs run NAME` on the stack's database and business clock."""
    env = {**os.environ, **stack.sim_env, "DATABASE_URL": stack.server.database_url}
    command = [str(Path(sys.executable).with_name("hourdelivery")), "jobs", "run", name]
    done = subprocess.run(command, env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_finance_officer_retries_a_refused_refund_and_reconciles_the_day(stack, browser):
    tokens = stack.tokens()
    # The sandbox's own books (the provider's side), shared with the server's workers.
    sandbox = SandboxProvider(merchant="sandbox", secret="-", path=os.environ["HD_PAY_SANDBOX_DB"])
    lost, short, cancelled = paid_orders(stack, tokens["consumer"], 3)
    sandbox.set_refund_outcome("fail")
    consumer = {"Authorization": f"Bearer {tokens['consumer']}"}
    cancel = f"{stack.url}/v1/orders/{cancelled['order']['id']}/cancel"
    assert requests.post(cancel, json={}, headers=consumer, timeout=30).status_code == 200
    run_job(stack, "send_refunds")  # the provider refuses it: onto the operator's list
    sandbox.set_refund_outcome("succeed")
    # The provider's statement of the day: it lost one payment, says one fen less for another,
    # and has one we never opened.
    now = ScaledClock.from_env(stack.sim_env).now()
    sandbox.tamper(trade_no(lost), off_statement=True)
    sandbox.tamper(trade_no(short), amount_fen=short["payment"]["amount_fen"] - 1)
    stranger = "P" + "e" * 30 + "X"
    sandbox.create(
        PayRequest(
            out_trade_no=stranger,
            amount_fen=990,
            method="wechat",
            description="-",
            expire_at=now.replace(hour=23),
            notify_url="",
        )
    )
    sandbox.pay(stranger, now)

    page = open_page(browser, stack, TABLET)
    page.goto(stack.url + "/admin")
    page.fill("#hd-token", tokens["operator"])
    page.click("#hd-signin-form button")
    page.get_by_role("link", name="支付与对账").click()
    expect(page).to_have_url(stack.url + "/admin/payments")
    refused = page.locator("#refunds tr").filter(has_text=f"订单 {cancelled['order']['id']}")
    expect(refused).to_contain_text("顾客取消")
    expect(refused).to_contain_text("支付机构未能退款")
    expect(page.locator("#payments")).to_contain_text("已支付")
    expect(page.locator("#payments")).to_contain_text("微信支付")
    expect(page.locator("#days tr")).to_have_text(["还没有对账结果。"])
    expect(page.locator("#pending tr")).to_have_text(["没有处理中的退款。"])
    assert_chinese(page)
    screenshot(page, "story-payments-1")

    refused.get_by_role("button", name="重新退款").click()
    expect(page.locator("#refund-msg")).to_have_text(
        f"订单 {cancelled['order']['id']}：已重新发起退款。"
    )
    expect(page.locator("#refunds tr")).to_have_text(["没有需要处理的退款。"])
    asked_again = page.locator("#pending tr").filter(has_text=f"订单 {cancelled['order']['id']}")
    expect(asked_again).to_contain_text("顾客取消")  # pending at the provider: not sent yet

    day = now.astimezone(CHINA).date().isoformat()
    expect(page.locator("#rerun-account option")).to_have_text(["演示收银台（沙箱）"])
    page.fill("#rerun-day", day)
    page.get_by_role("button", name="重新对账").click()
    expect(page.locator("#day-msg")).to_have_text(f"{day} 已重新对账：有差异")
    lines = page.locator("#day-table tbody tr")
    expect(lines.filter(has_text=trade_no(lost))).to_contain_text("对方缺失")
    expect(lines.filter(has_text=trade_no(short))).to_contain_text("金额不符")
    expect(lines.filter(has_text=stranger)).to_contain_text("我方缺失")
    expect(lines.filter(has_text=stranger)).to_contain_text("¥9.90")
    row = page.locator("#days tr").filter(has_text=day)
    expect(row).to_contain_text("有差异")
    expect(row).to_contain_text("演示收银台（沙箱）")
    assert_chinese(page, besides=".adm-ref")
    screenshot(page, "story-payments-2-day")

    page.locator("#day-lines").get_by_text("对方缺失").first.scroll_into_view_if_needed()
    with page.expect_download() as download:
        page.get_by_role("button", name="导出表格").click()
    sheet = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert download.value.suggested_filename == f"对账-sandbox-{day}.csv"
    assert sheet.startswith("对账日,商户账户,结果,类型,商户订单号")
    assert f"对方缺失,支付,{trade_no(lost)}" in sheet and f"我方缺失,支付,{stranger}" in sheet
    row.get_by_role("button", name="查看差异").click()
    expect(lines.filter(has_text=stranger)).to_be_visible()
    assert not stack.errors, stack.errors
