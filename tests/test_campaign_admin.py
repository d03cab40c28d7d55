"""Operators set up campaigns; nonsense is refused with a clear 4xx and changes nothing."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service.auth.service import issue_token
from service.campaigns.models import Campaign
from service.people.models import Operator
from tests.support.factories import CHANGSHA_POINT, city, make_campaign, make_consumers


def operator_headers(session, clock, city_code=None):
    city_id = city(session, city_code).id if city_code else None
    scope = Operator.city_id.is_(None) if city_id is None else Operator.city_id == city_id
    operator = session.execute(select(Operator).where(scope)).scalars().first()
    _, secret = issue_token(
        session=session, role="operator", principal_id=operator.id, now=clock.now()
    )
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def platform(session, clock):
    return operator_headers(session, clock)


def campaign_body(session, clock, **overrides):
    now = clock.now()
    body = {
        "city_id": city(session, "changsha").id,
        "issuer": "city",
        "issuer_name": "长沙市商务局",
        "name": "长沙夜经济消费券",
        "budget_fen": 1_000_000,
        "categories": ["restaurant", "bakery"],
        "funding_government_pct": 80,
        "funding_platform_pct": 10,
        "funding_merchant_pct": 10,
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(days=14)).isoformat(),
    }
    return {**body, **overrides}


def iso(clock, **delta):
    return (clock.now() + timedelta(**delta)).isoformat()


def test_operator_sets_up_a_campaign_that_consumers_can_then_claim(
    client, session, clock, platform
):
    created = client.post("/v1/campaigns", json=campaign_body(session, clock), headers=platform)
    assert created.status_code == 201, created.json
    cid = created.json["id"]
    window = {"claim_starts_at": iso(clock, minutes=-5), "claim_ends_at": iso(clock, days=3)}
    batch = client.post(
        f"/v1/campaigns/{cid}/batches",
        headers=platform,
        json={"name": "第一批", "pack_quota": 1000, **window},
    )
    assert batch.status_code == 201, batch.json
    for threshold, discount in ((5000, 1500), (0, 300)):
        made = client.post(
            f"/v1/campaigns/{cid}/templates",
            headers=platform,
            json={
                "name": f"满{threshold}减{discount}",
                "threshold_fen": threshold,
                "discount_fen": discount,
                "valid_hours": 72,
            },
        )
        assert made.status_code == 201, made.json
    shown = client.get(f"/v1/campaigns/{cid}", headers=platform).json
    assert shown["pack_value_fen"] == 1800 and len(shown["batches"]) == 1
    assert shown["starts_at"].endswith("+08:00")
    ((_, token),) = make_consumers(session, 1, clock.now())
    session.commit()
    claimed = client.post(
        f"/v1/campaigns/{cid}/claim",
        json=CHANGSHA_POINT,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert claimed.status_code == 201
    coupon = min(claimed.json["coupons"], key=lambda c: c["discount_fen"])
    assert coupon["categories"] == ["restaurant", "bakery"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_at": "2020-01-01T00:00:00+08:00"}, "ends_at"),
        ({"funding_platform_pct": 20}, "funding_government_pct"),
        ({"issuer": "platform"}, "funding_government_pct"),
        ({"categories": ["spaceships"]}, "categories"),
        ({"budget_fen": 0}, "budget_fen"),
        ({"starts_at": "2026-06-01T10:00:00"}, "starts_at"),  # no timezone
        ({"store_ids": [999_999]}, "store_ids"),
        ({"issuer": "bank"}, "issuer"),
    ],
)
def test_nonsense_campaigns_are_refused_and_nothing_is_written(
    client, session, clock, platform, overrides, field
):
    before = session.execute(select(func.count()).select_from(Campaign)).scalar()
    response = client.post(
        "/v1/campaigns", json=campaign_body(session, clock, **overrides), headers=platform
    )
    assert response.status_code == 422, response.json
    assert response.json["error"]["field"] == field
    assert session.execute(select(func.count()).select_from(Campaign)).scalar() == before


def test_template_rules_refuse_bad_packs(client, session, clock, platform):
    campaign, _ = make_campaign(session, clock.now(), budget_fen=10_000, pack=())
    session.commit()
    url = f"/v1/campaigns/{campaign.id}/templates"
    cases = [
        ({"name": "x", "threshold_fen": 1000, "discount_fen": 2000}, "discount_fen"),
        ({"name": "x", "threshold_fen": 0, "discount_fen": 20_000}, "discount_fen"),
        (
            {
                "name": "x",
                "threshold_fen": 0,
                "discount_fen": 100,
                "valid_from": iso(clock, days=2),
                "valid_until": iso(clock, days=1),
            },
            "valid_until",
        ),
        (
            {
                "name": "x",
                "threshold_fen": 0,
                "discount_fen": 100,
                "valid_until": iso(clock, days=30),
            },
            "valid_until",
        ),
        (
            {
                "name": "x",
                "threshold_fen": 0,
                "discount_fen": 100,
                "valid_hours": 24,
                "valid_until": iso(clock, days=1),
            },
            "valid_hours",
        ),
    ]
    for body, field in cases:
        response = client.post(url, json=body, headers=platform)
        assert (response.status_code, response.json["error"]["field"]) == (422, field), body


def test_batch_window_must_be_sane_and_inside_the_campaign(client, session, clock, platform):
    campaign, _ = make_campaign(session, clock.now())
    session.commit()
    url = f"/v1/campaigns/{campaign.id}/batches"
    backwards = {
        "name": "b2",
        "claim_starts_at": iso(clock, days=2),
        "claim_ends_at": iso(clock, days=1),
        "pack_quota": 10,
    }
    assert (
        client.post(url, json=backwards, headers=platform).json["error"]["field"] == "claim_ends_at"
    )
    too_late = {
        **backwards,
        "claim_starts_at": iso(clock, days=1),
        "claim_ends_at": iso(clock, days=40),
    }
    assert client.post(url, json=too_late, headers=platform).status_code == 422


def test_pause_switch_stops_and_resumes_claims(client, session, clock, platform):
    campaign, _ = make_campaign(session, clock.now())
    people = make_consumers(session, 2, clock.now())
    session.commit()
    url = f"/v1/campaigns/{campaign.id}"
    assert client.patch(url, json={"paused": True}, headers=platform).json["paused"] is True
    claim = client.post(
        url + "/claim", json=CHANGSHA_POINT, headers={"Authorization": f"Bearer {people[0][1]}"}
    )
    assert claim.json["error"]["code"] == "paused"
    client.patch(url, json={"paused": False}, headers=platform)
    claim = client.post(
        url + "/claim", json=CHANGSHA_POINT, headers={"Authorization": f"Bearer {people[0][1]}"}
    )
    assert claim.status_code == 201
    lower = client.patch(url, json={"budget_fen": 100}, headers=platform)
    assert (lower.status_code, lower.json["error"]["field"]) == (422, "budget_fen")
    late = {"name": "late", "threshold_fen": 0, "discount_fen": 100}
    frozen = client.post(url + "/templates", headers=platform, json=late)
    assert frozen.status_code == 409 and frozen.json["error"]["code"] == "pack_frozen"


def test_city_operator_manages_only_their_own_city(client, session, clock):
    changsha_ops = operator_headers(session, clock, "changsha")
    beijing_campaign, _ = make_campaign(session, clock.now(), code="beijing")
    session.commit()
    assert (
        client.get(f"/v1/campaigns/{beijing_campaign.id}", headers=changsha_ops).status_code == 404
    )
    body = campaign_body(session, clock, city_id=city(session, "beijing").id)
    refused = client.post("/v1/campaigns", json=body, headers=changsha_ops)
    assert (refused.status_code, refused.json["error"]["field"]) == (422, "city_id")
    mine = client.post("/v1/campaigns", json=campaign_body(session, clock), headers=changsha_ops)
    assert mine.status_code == 201


def test_consumers_cannot_run_campaigns(client, session, clock):
    ((_, token),) = make_consumers(session, 1, clock.now())
    session.commit()
    response = client.post(
        "/v1/campaigns",
        json=campaign_body(session, clock),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403


def test_moving_the_end_earlier_caps_coupons_already_handed_out(client, session, clock, platform):
    campaign, _ = make_campaign(session, clock.now(), pack=((0, 500, 1),))
    ((_, token),) = make_consumers(session, 1, clock.now())
    session.commit()
    consumer = {"Authorization": f"Bearer {token}"}
    client.post(f"/v1/campaigns/{campaign.id}/claim", json=CHANGSHA_POINT, headers=consumer)
    url = f"/v1/campaigns/{campaign.id}"
    past = client.patch(url, json={"ends_at": iso(clock, hours=-1)}, headers=platform)
    assert (past.status_code, past.json["error"]["field"]) == (422, "ends_at")
    sooner = client.patch(url, json={"ends_at": iso(clock, days=1)}, headers=platform)
    assert sooner.status_code == 200
    coupon = client.get("/v1/coupons", headers=consumer).json["coupons"][0]
    assert coupon["valid_until"] == sooner.json["ends_at"]


def test_coupons_cannot_expire_while_their_batch_is_claimable(client, session, clock, platform):
    campaign, _ = make_campaign(session, clock.now(), pack=())  # its batch is open 2 days
    session.commit()
    url = f"/v1/campaigns/{campaign.id}"
    early = {
        "name": "早到期",
        "threshold_fen": 0,
        "discount_fen": 100,
        "valid_until": iso(clock, days=1),
    }
    refused = client.post(url + "/templates", json=early, headers=platform)
    assert (refused.status_code, refused.json["error"]["field"]) == (422, "valid_until")
    fine = {**early, "valid_until": iso(clock, days=5)}
    assert client.post(url + "/templates", json=fine, headers=platform).status_code == 201
    late_batch = {
        "name": "第二批",
        "claim_starts_at": iso(clock, days=1),
        "claim_ends_at": iso(clock, days=6),
        "pack_quota": 10,
    }
    refused = client.post(url + "/batches", json=late_batch, headers=platform)
    assert (refused.status_code, refused.json["error"]["field"]) == (422, "claim_ends_at")
