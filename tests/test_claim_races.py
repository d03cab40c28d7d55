"""Claims under a real burst: 2 gunicorn workers, concurrent clients, both engines.

Each case runs plain and with a failpoint that sleeps between the checks and the writes,
widening the race window: the results must be exact either way.
"""

from collections import Counter

import pytest
from sqlalchemy import func, select

from service.campaigns.models import Batch, Campaign, Coupon, PackClaim
from service.clock import SystemClock
from service.db import Database, make_engine
from tests.support.factories import CHANGSHA_POINT, make_campaign, make_consumers
from tests.support.race import race

pytestmark = pytest.mark.live
FAILPOINTS = {"plain": "", "delayed": "claim.after_checks=0.02"}


@pytest.fixture(params=sorted(FAILPOINTS))
def server(request, live_server):
    return live_server(failpoints=FAILPOINTS[request.param])


def seed(server, consumers: int, **campaign):
    engine = make_engine(server.database_url)
    with Database(engine).unit_of_work() as session:
        now = SystemClock().now()
        made, batch = make_campaign(session, now, **campaign)
        people = make_consumers(session, consumers, now)
    return engine, made.id, batch.id, people


def claims_for(server, campaign_id, tokens):
    url = f"{server.url}/v1/campaigns/{campaign_id}/claim"
    return [
        {
            "method": "POST",
            "url": url,
            "json": CHANGSHA_POINT,
            "headers": {"Authorization": f"Bearer {t}"},
        }
        for t in tokens
    ]


def outcome(response) -> str:
    return "created" if response.status_code == 201 else response.json()["error"]["code"]


def totals(engine, campaign_id, batch_id):
    with engine.connect() as conn:
        issued = conn.execute(select(Campaign.issued_fen).where(Campaign.id == campaign_id))
        packs = conn.execute(select(Batch.packs_claimed).where(Batch.id == batch_id))
        claims = conn.execute(select(func.count()).where(PackClaim.batch_id == batch_id))
        coupons = conn.execute(select(func.count()).where(Coupon.batch_id == batch_id))
        return issued.scalar(), packs.scalar(), claims.scalar(), coupons.scalar()


def test_200_consumers_racing_for_50_packs_get_exactly_50(server):
    engine, campaign_id, batch_id, people = seed(server, 200, quota=50)
    responses = race(claims_for(server, campaign_id, [t for _, t in people]))
    assert Counter(map(outcome, responses)) == {"created": 50, "sold_out": 150}
    assert totals(engine, campaign_id, batch_id) == (50 * 4000, 50, 50, 100)
    engine.dispose()


def test_one_consumer_claiming_20_times_at_once_gets_one_pack(server):
    engine, campaign_id, batch_id, people = seed(server, 1, quota=50)
    responses = race(claims_for(server, campaign_id, [people[0][1]] * 20), clients=20)
    assert Counter(map(outcome, responses)) == {"created": 1, "already_claimed": 19}
    assert totals(engine, campaign_id, batch_id) == (4000, 1, 1, 2)
    engine.dispose()


def test_budget_runs_out_before_the_quota_exactly(server):
    engine, campaign_id, batch_id, people = seed(server, 80, quota=50, budget_fen=30 * 4000)
    responses = race(claims_for(server, campaign_id, [t for _, t in people]))
    assert Counter(map(outcome, responses)) == {"created": 30, "budget_exhausted": 50}
    assert totals(engine, campaign_id, batch_id) == (30 * 4000, 30, 30, 60)
    engine.dispose()
