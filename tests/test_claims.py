"""Claiming coupon packs: every refusal says why, and nothing is half-done."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service.campaigns.models import Batch, Campaign, Coupon, PackClaim
from tests.support.factories import CHANGSHA_POINT, make_campaign, make_consumers


@pytest.fixture
def consumer(session, clock):
    ((consumer_id, token),) = make_consumers(session, 1, clock.now())
    session.commit()
    return consumer_id, {"Authorization": f"Bearer {token}"}


def claim(client, campaign_id, headers, point=CHANGSHA_POINT):
    return client.post(f"/v1/campaigns/{campaign_id}/claim", json=point, headers=headers)


def refusal(response) -> str:
    assert response.status_code == 409, response.json
    return response.json["error"]["code"]


def test_claim_issues_the_whole_pack_and_counts_it_against_quota_and_budget(
    client, session, clock, consumer
):
    campaign, batch = make_campaign(session, clock.now(), pack=((3000, 1000, 2), (0, 500, 1)))
    session.commit()
    response = claim(client, campaign.id, consumer[1])
    assert response.status_code == 201
    body = response.json
    assert body["face_value_fen"] == 2500
    assert sorted(c["discount_fen"] for c in body["coupons"]) == [500, 1000, 1000]
    assert all(c["status"] == "AVAILABLE" for c in body["coupons"])
    session.refresh(campaign)
    session.refresh(batch)
    assert (campaign.issued_fen, batch.packs_claimed) == (2500, 1)
    mine = client.get("/v1/coupons", headers=consumer[1]).json["coupons"]
    assert len(mine) == 3 and mine[0]["valid_until"].endswith("+08:00")


def test_second_claim_from_the_same_batch_is_already_claimed(client, session, clock, consumer):
    campaign, _ = make_campaign(session, clock.now())
    session.commit()
    assert claim(client, campaign.id, consumer[1]).status_code == 201
    assert refusal(claim(client, campaign.id, consumer[1])) == "already_claimed"


def test_sold_out_batch_refuses_claim(client, session, clock, consumer):
    campaign, batch = make_campaign(session, clock.now(), quota=1)
    batch.packs_claimed = 1
    session.commit()
    assert refusal(claim(client, campaign.id, consumer[1])) == "sold_out"


def test_claim_past_the_budget_is_budget_exhausted(client, session, clock, consumer):
    campaign, _ = make_campaign(session, clock.now(), budget_fen=5000)
    campaign.issued_fen = 2000  # a pack is worth 4,000
    session.commit()
    assert refusal(claim(client, campaign.id, consumer[1])) == "budget_exhausted"


def test_claim_before_the_batch_opens_is_not_started(client, session, clock, consumer):
    campaign, _ = make_campaign(session, clock.now(), batch_opens=timedelta(hours=2))
    session.commit()
    response = claim(client, campaign.id, consumer[1])
    assert refusal(response) == "not_started"
    assert response.json["error"]["opens_at"].endswith("+08:00")


def test_claim_after_the_window_is_window_closed(client, session, clock, consumer):
    campaign, _ = make_campaign(session, clock.now())
    session.commit()
    clock.advance(days=3)
    assert refusal(claim(client, campaign.id, consumer[1])) == "window_closed"


def test_paused_campaign_refuses_claims(client, session, clock, consumer):
    campaign, _ = make_campaign(session, clock.now(), paused=True)
    session.commit()
    assert refusal(claim(client, campaign.id, consumer[1])) == "paused"


def test_claim_from_outside_the_campaign_city_is_refused(client, session, clock, consumer):
    campaign, _ = make_campaign(session, clock.now(), code="beijing")
    session.commit()
    assert refusal(claim(client, campaign.id, consumer[1])) == "outside_city"


def test_refused_claim_writes_nothing(client, session, clock, consumer):
    campaign, batch = make_campaign(session, clock.now(), budget_fen=3999)
    session.commit()
    assert refusal(claim(client, campaign.id, consumer[1])) == "budget_exhausted"
    counts = [
        session.execute(select(func.count()).where(t.campaign_id == campaign.id)).scalar()
        for t in (PackClaim, Coupon)
    ]
    assert counts == [0, 0]
    session.refresh(batch)
    assert batch.packs_claimed == 0


def test_open_campaigns_lists_what_i_can_claim_here(client, session, clock, consumer):
    campaign, _ = make_campaign(session, clock.now(), name="长沙测试券")
    session.commit()
    listed = client.get("/v1/campaigns/open", query_string=CHANGSHA_POINT, headers=consumer[1])
    mine = [c for c in listed.json["campaigns"] if c["id"] == campaign.id]
    assert mine and mine[0]["claimed"] is False and mine[0]["pack_value_fen"] == 4000
    claim(client, campaign.id, consumer[1])
    listed = client.get("/v1/campaigns/open", query_string=CHANGSHA_POINT, headers=consumer[1])
    assert [c["claimed"] for c in listed.json["campaigns"] if c["id"] == campaign.id] == [True]


def test_only_consumers_may_claim(client, session, clock):
    from service.auth.models import Role
    from tests.test_auth import token_for

    campaign, _ = make_campaign(session, clock.now())
    session.commit()
    _, secret = token_for(session, Role.STORE, clock)
    response = claim(client, campaign.id, {"Authorization": f"Bearer {secret}"})
    assert response.status_code == 403


def test_claiming_an_unknown_campaign_is_404(client, consumer):
    assert claim(client, 999_999, consumer[1]).status_code == 404


def test_claim_needs_a_location(client, session, clock, consumer):
    campaign, _ = make_campaign(session, clock.now())
    session.commit()
    response = client.post(f"/v1/campaigns/{campaign.id}/claim", json={}, headers=consumer[1])
    assert response.status_code == 422 and response.json["error"]["field"] == "lat"
    assert session.execute(select(Batch.packs_claimed).where(Batch.id == _.id)).scalar() == 0
    assert session.get(Campaign, campaign.id).issued_fen == 0
