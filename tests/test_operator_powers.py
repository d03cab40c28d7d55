"""Operator powers match the money they control, and the audit trail names who changed what."""

import pytest
from sqlalchemy import select

from service.campaigns.models import Campaign
from service.cities.models import City
from tests.support.factories import city, make_campaign
from tests.test_bad_input import total_rows
from tests.test_campaign_admin import campaign_body, iso, operator_headers


@pytest.fixture
def ops(session, clock):
    return {
        "platform": operator_headers(session, clock),
        "changsha": operator_headers(session, clock, "changsha"),
        "beijing": operator_headers(session, clock, "beijing"),
    }


@pytest.fixture
def platform_campaign(session, clock):
    """A platform-issued, platform-funded campaign in Changsha."""
    made, _ = make_campaign(
        session, clock.now(), funding_government_pct=0, funding_platform_pct=100
    )
    made.issuer = "platform"
    session.commit()
    return made.id


PLATFORM_BODY = {
    "issuer": "platform",
    "issuer_name": "京东",
    "funding_government_pct": 0,
    "funding_platform_pct": 100,
    "funding_merchant_pct": 0,
}
CHANGES = [  # (method, path under the campaign, body)
    ("PATCH", "", {"paused": True}),
    ("PATCH", "", {"budget_fen": 10**12}),
    ("POST", "/batches", {"name": "b9", "pack_quota": 5}),
    ("POST", "/templates", {"name": "t9", "threshold_fen": 0, "discount_fen": 100}),
]


def test_a_city_operator_cannot_create_a_platform_campaign(client, session, clock, ops):
    before = total_rows(session)
    body = campaign_body(session, clock, **PLATFORM_BODY, budget_fen=10**12)
    response = client.post("/v1/campaigns", json=body, headers=ops["changsha"])
    assert (response.status_code, response.json["error"]["field"]) == (403, "issuer")
    assert total_rows(session) == before


@pytest.mark.parametrize(("method", "path", "body"), CHANGES)
def test_a_city_operator_cannot_change_the_platforms_campaign_in_its_city(
    client, session, clock, ops, platform_campaign, method, path, body
):
    if path == "/batches":
        body = {**body, "claim_starts_at": iso(clock, hours=1), "claim_ends_at": iso(clock, days=1)}
    before = total_rows(session)
    url = f"/v1/campaigns/{platform_campaign}{path}"
    response = client.open(url, method=method, json=body, headers=ops["changsha"])
    assert response.status_code == 403, response.json
    assert total_rows(session) == before
    campaign = session.get(Campaign, platform_campaign)
    session.refresh(campaign)
    assert (campaign.paused, campaign.budget_fen) == (False, 10**9)
    mine = client.open(url, method=method, json=body, headers=ops["platform"])
    assert mine.status_code in (200, 201), mine.json
    (latest,) = client.get("/v1/admin/audit?limit=1", headers=ops["platform"]).json["events"]
    expected = {"/batches": "batch.create", "/templates": "template.create"}
    assert latest["action"] == expected.get(
        path, "campaign.pause" if "paused" in body else "campaign.update"
    )
    assert latest["city_id"] == city(session, "changsha").id


def test_city_campaign_funding_stays_within_the_citys_caps(client, session, clock, ops):
    over = campaign_body(
        session, clock, funding_government_pct=60, funding_platform_pct=30, funding_merchant_pct=10
    )
    refused = client.post("/v1/campaigns", json=over, headers=ops["changsha"])
    assert (refused.status_code, refused.json["error"]["field"]) == (422, "funding_platform_pct")
    changsha = city(session, "changsha").id
    caps = {"max_platform_funding_pct": 30}
    url = f"/v1/cities/{changsha}/funding-caps"
    assert client.patch(url, json=caps, headers=ops["changsha"]).status_code == 403
    raised = client.patch(url, json=caps, headers=ops["platform"])
    assert raised.json == {
        "city_id": changsha,
        "max_platform_funding_pct": 30,
        "max_merchant_funding_pct": 20,
    }
    assert client.post("/v1/campaigns", json=over, headers=ops["changsha"]).status_code == 201


def test_the_seed_campaigns_keep_within_the_default_caps(session):
    caps = {c.id: c for c in session.execute(select(City)).scalars()}
    for campaign in session.execute(select(Campaign).where(Campaign.issuer == "city")).scalars():
        cap = caps[campaign.city_id]
        assert campaign.funding_platform_pct <= cap.max_platform_funding_pct
        assert campaign.funding_merchant_pct <= cap.max_merchant_funding_pct


def test_the_audit_trail_names_who_changed_what(client, session, clock, ops):
    made, _ = make_campaign(session, clock.now())
    session.commit()
    url = f"/v1/campaigns/{made.id}"
    client.patch(url, json={"paused": True}, headers=ops["platform"])
    client.patch(url, json={"budget_fen": 2 * 10**9, "name": "改名"}, headers=ops["changsha"])
    client.patch(url, json={"paused": True}, headers=ops["changsha"])  # no change: no event
    trail = client.get(
        f"/v1/admin/audit?target_type=campaign&target_id={made.id}", headers=ops["changsha"]
    ).json["events"]
    assert [(e["action"], e["old"], e["new"]) for e in trail] == [
        (
            "campaign.update",
            {"budget_fen": 10**9, "name": made.name},
            {"budget_fen": 2 * 10**9, "name": "改名"},
        ),
        ("campaign.pause", {"paused": False}, {"paused": True}),
    ]
    assert trail[0]["actor_id"] != trail[1]["actor_id"]
    assert {e["actor_role"] for e in trail} == {"operator"}
    elsewhere = client.get("/v1/admin/audit?target_type=campaign", headers=ops["beijing"])
    assert made.id not in [e["target_id"] for e in elsewhere.json["events"]]


def test_the_audit_trail_filters_by_action_actor_role_and_time(client, session, clock, ops):
    made, _ = make_campaign(session, clock.now())
    session.commit()
    url = f"/v1/campaigns/{made.id}"
    client.patch(url, json={"paused": True}, headers=ops["platform"])
    clock.advance(hours=1)
    middle = clock.now().isoformat()
    client.patch(url, json={"name": "新名字"}, headers=ops["platform"])

    def actions(**query):
        found = client.get(
            "/v1/admin/audit", query_string={"target_id": made.id, **query}, headers=ops["platform"]
        )
        assert found.status_code == 200, found.json
        return [e["action"] for e in found.json["events"]]

    assert actions(action="campaign.pause") == ["campaign.pause"]
    assert actions(action="campaign.") == ["campaign.update", "campaign.pause"]
    assert actions(actor_role="operator", since=middle) == ["campaign.update"]
    assert actions(until=middle) == ["campaign.pause"]
    assert actions(actor_role="store") == []
    naive = client.get(
        "/v1/admin/audit", query_string={"since": "2026-01-01T00:00:00"}, headers=ops["platform"]
    )
    assert naive.status_code == 422 and naive.json["error"]["field"] == "since"


def test_the_audit_trail_pages_newest_first(client, session, clock, ops):
    made, _ = make_campaign(session, clock.now())
    session.commit()
    for paused in (True, False, True):
        client.patch(f"/v1/campaigns/{made.id}", json={"paused": paused}, headers=ops["platform"])
    url = f"/v1/admin/audit?target_id={made.id}&target_type=campaign&limit=2"
    first = client.get(url, headers=ops["platform"]).json
    rest = client.get(url + f"&before={first['next_before']}", headers=ops["platform"]).json
    actions = [e["action"] for e in first["events"] + rest["events"]]
    assert actions == ["campaign.pause", "campaign.resume", "campaign.pause"]
    assert rest["next_before"] is None
