"""A pack change racing the first claims, through two worker processes, on both engines.

Whichever the database sees first wins: template adds after the first claim are refused
(pack_frozen), claims that read a pack changed before they committed are refused (pack_changed).
Afterwards every pack claim of the batch carries the campaign's face value and coupon kinds, and
no worker serves a pack it cached before the change.
"""

from collections import Counter

import pytest
from sqlalchemy import select

from service.auth.service import issue_token
from service.campaigns.models import Coupon, CouponTemplate, PackClaim
from service.clock import SystemClock
from service.db import Database, make_engine
from service.people.models import Operator
from tests.support.factories import CHANGSHA_POINT, make_campaign, make_consumers
from tests.support.race import race

pytestmark = pytest.mark.live


def seed(server, consumers: int):
    engine = make_engine(server.database_url)
    with Database(engine).unit_of_work() as session:
        now = SystemClock().now()
        made, batch = make_campaign(session, now, quota=1000, pack=((0, 500, 1),))
        platform = session.execute(select(Operator.id).where(Operator.city_id.is_(None))).scalar()
        _, operator = issue_token(session=session, role="operator", principal_id=platform, now=now)
        people = make_consumers(session, consumers, now)
    return engine, made.id, batch.id, operator, [token for _, token in people]


def requests_for(server, campaign_id, operator, tokens, adds: int) -> list[dict]:
    claim = f"{server.url}/v1/campaigns/{campaign_id}/claim"
    add = f"{server.url}/v1/campaigns/{campaign_id}/templates"
    sent = [
        {
            "method": "POST",
            "url": claim,
            "json": CHANGSHA_POINT,
            "headers": {"Authorization": f"Bearer {t}"},
        }
        for t in tokens
    ]
    for n in range(adds):  # the first request of as many clients, racing the first claims
        sent.insert(
            0,
            {
                "method": "POST",
                "url": add,
                "headers": {"Authorization": f"Bearer {operator}"},
                "json": {"name": f"加券{n}", "threshold_fen": 0, "discount_fen": 100 + n},
            },
        )
    return sent


def claims_match_the_pack(engine, campaign_id, batch_id) -> int:
    with engine.connect() as conn:
        templates = conn.execute(
            select(CouponTemplate.id, CouponTemplate.discount_fen, CouponTemplate.quantity).where(
                CouponTemplate.campaign_id == campaign_id
            )
        ).all()
        kinds = Counter({t.id: t.quantity for t in templates})
        value = sum(t.discount_fen * t.quantity for t in templates)
        claims = conn.execute(
            select(PackClaim.id, PackClaim.face_value_fen).where(PackClaim.batch_id == batch_id)
        ).all()
        coupons = conn.execute(
            select(Coupon.pack_claim_id, Coupon.template_id).where(Coupon.batch_id == batch_id)
        ).all()
    per_claim: dict[int, Counter] = {claim.id: Counter() for claim in claims}
    for coupon in coupons:
        per_claim[coupon.pack_claim_id][coupon.template_id] += 1
    assert {claim.face_value_fen for claim in claims} == {value}
    assert all(found == kinds for found in per_claim.values())
    return len(claims)


def test_claims_racing_a_pack_change_all_get_the_campaigns_one_pack(live_server):
    server = live_server(failpoints="claim.after_checks=0.05")
    engine, campaign_id, batch_id, operator, tokens = seed(server, 70)
    sent = requests_for(server, campaign_id, operator, tokens[:60], adds=4)
    responses = race(sent, clients=8)
    outcomes = Counter(
        (
            r.request.path_url.rsplit("/", 1)[1],
            "created" if r.status_code == 201 else r.json()["error"]["code"],
        )
        for r in responses
    )
    assert set(outcomes) <= {
        ("claim", "created"),
        ("claim", "pack_changed"),
        ("templates", "created"),
        ("templates", "pack_frozen"),
    }, outcomes
    assert outcomes[("claim", "created")] > 0
    after = race(requests_for(server, campaign_id, operator, tokens[60:], adds=0), clients=10)
    assert [r.status_code for r in after] == [201] * 10  # every worker: the current pack
    assert (
        claims_match_the_pack(engine, campaign_id, batch_id) == outcomes[("claim", "created")] + 10
    )
    engine.dispose()
