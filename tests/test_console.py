"""The operator console in headless chromium, against the real server."""

from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import select

from service.auth.service import issue_token
from service.db import Database, make_engine
from service.jobs.registry import JOBS
from service.jobs.runner import run_job
from service.people.models import Operator
from tests.support.browser import screenshot
from tests.support.factories import CHANGSHA_POINT, city, make_campaign, make_consumers

pytestmark = pytest.mark.live


def seed(database_url: str) -> tuple[int, str, list[str]]:
    """A Changsha campaign with an open batch; (its id, a city operator token, consumer tokens)."""
    database = Database(make_engine(database_url))
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        campaign, _ = make_campaign(session, now, name="控制台测试券", quota=50)
        changsha = city(session, "changsha").id
        operator = (
            session.execute(select(Operator).where(Operator.city_id == changsha)).scalars().first()
        )
        _, operator_token = issue_token(
            session=session, role="operator", principal_id=operator.id, now=now
        )
        consumers = [token for _, token in make_consumers(session, 4, now)]
        campaign_id = campaign.id
    database.engine.dispose()
    return campaign_id, operator_token, consumers


def claim(server, campaign_id: int, token: str) -> requests.Response:
    return requests.post(
        f"{server.url}/v1/campaigns/{campaign_id}/claim",
        json=CHANGSHA_POINT,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def test_city_operator_opens_a_campaign_sees_charts_and_pauses_it(live_server, page):
    server = live_server()
    campaign_id, operator, consumers = seed(server.database_url)
    *claimers, consumer = consumers
    for token in claimers:  # some claims, so the charts have bars
        assert claim(server, campaign_id, token).status_code == 201
    database = Database(make_engine(server.database_url))
    run_job(JOBS["check_money"], database=database, now=datetime.now(UTC))  # the nightly check
    database.engine.dispose()
    page.goto(server.url + "/admin")
    page.fill("#hd-token", operator)
    page.click("#hd-signin-form button[type=submit]")
    card = page.locator(f'[data-campaign="{campaign_id}"]')
    card.wait_for()
    assert card.locator(".adm-bar.claims").count() == 1
    assert card.locator(".adm-bar.budget").count() == 1
    card.locator(".open-report").click()
    for chart in (
        "#chart-days svg.bars",
        "#chart-funding svg.funding",
        "#chart-stores svg",
        "#map svg.map",
    ):
        page.locator(chart).wait_for()
    assert "已对账" in page.locator("#reconciled").inner_text()
    assert page.locator("#chart-days svg.bars rect").count() >= 3
    assert page.locator("#map circle").count() > 10
    assert "0 处不符" in page.locator("#checked-at").inner_text()
    assert page.locator("#invariants").inner_text() == "全部一致"
    page.once("dialog", lambda dialog: dialog.accept())  # the console asks before it pauses
    card.locator(".pause").click()
    card.locator(".adm-paused").wait_for()
    screenshot(page, "admin-console")
    refused = claim(server, campaign_id, consumer)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "paused"
