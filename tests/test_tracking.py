"""Tracking (owner and share link), the live ETA, and the hour promise's compensation."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from service.campaigns.models import Campaign, Coupon
from service.deliveries.compensation import BUDGET_FEN
from service.orders.models import LedgerEntry, Order
from tests.support.deliveries import (
    backdate,
    carried,
    compensation_budget,
    make_operator,
    offered_job,
    store_moves,
)
from tests.support.factories import make_consumers


@pytest.fixture
def job(client, session, clock):
    return offered_job(client, session, clock)


def owner_view(client, job):
    return client.get(f"/v1/orders/{job['order']['id']}/tracking", headers=job["consumer"])


def deliver(client, session, clock, job, *, ride_minutes=0):
    delivery_id = carried(client, session, clock, job)
    clock.advance(minutes=ride_minutes)
    return client.post(
        f"/v1/courier/deliveries/{delivery_id}/delivered",
        headers=job["me"],
        json={"code": job["order"]["handoff_code"]},
    )


def test_owner_sees_the_code_and_home_a_share_link_neither(client, job):
    mine = owner_view(client, job).json
    assert mine["handoff_code"] == job["order"]["handoff_code"]
    assert mine["home"]["address"] == "测试路100号" and mine["courier"] is None
    shared = client.get(f"/v1/tracking/{mine['share_token']}").json
    assert shared["handoff_code"] is None and shared["share_token"] is None
    assert shared["home"] == {
        "lat": round(mine["home"]["lat"], 3),
        "lon": round(mine["home"]["lon"], 3),
    }
    assert "测试路100号" not in str(shared) and [e["kind"] for e in shared["timeline"]] == [
        "placed",
        "accepted",
    ]
    by_query = client.get(f"/v1/orders/{job['order']['id']}/tracking?share={mine['share_token']}")
    assert by_query.json == shared


def test_a_share_link_works_only_for_its_order_and_a_stranger_sees_nothing(
    client, session, clock, job
):
    token = owner_view(client, job).json["share_token"]
    other = client.get(f"/v1/orders/{job['order']['id'] + 1}/tracking?share={token}")
    assert other.status_code == 404
    ((_, stranger),) = make_consumers(session, 1, clock.now())
    session.commit()
    theirs = client.get(
        f"/v1/orders/{job['order']['id']}/tracking", headers={"Authorization": f"Bearer {stranger}"}
    )
    assert theirs.status_code == 404
    assert client.get(f"/v1/tracking/{'x' * 43}").status_code == 404


def test_a_share_link_stops_working_three_hours_after_delivery_and_says_so(
    client, session, clock, job
):
    token = owner_view(client, job).json["share_token"]
    assert deliver(client, session, clock, job).status_code == 200
    clock.advance(hours=2, minutes=59)
    assert client.get(f"/v1/tracking/{token}").json["status"] == "DELIVERED"
    clock.advance(minutes=1)
    expired = client.get(f"/v1/tracking/{token}")
    assert expired.status_code == 410 and expired.json["error"]["code"] == "share_expired"
    unknown = client.get(f"/v1/tracking/{'y' * 43}")
    assert unknown.status_code == 404 and unknown.json["error"]["code"] == "share_unknown"


def test_a_share_link_shows_the_courier_only_while_he_carries_the_goods(
    client, session, clock, job
):
    token = owner_view(client, job).json["share_token"]
    me = job["me"]
    (offer,) = client.get("/v1/courier/offers", headers=me).json["deliveries"]
    client.post(f"/v1/courier/offers/{offer['id']}/accept", headers=me)
    assert client.get(f"/v1/tracking/{token}").json["courier"] is None
    assert owner_view(client, job).json["courier"]["name"] == "骑手0"
    store_moves(session, job["order"]["id"], "READY", clock.now())
    session.commit()
    client.post(f"/v1/courier/deliveries/{offer['id']}/picked-up", headers=me)
    assert client.get(f"/v1/tracking/{token}").json["courier"]["name"] == "骑手0"
    client.post(
        f"/v1/courier/deliveries/{offer['id']}/delivered",
        headers=me,
        json={"code": job["order"]["handoff_code"]},
    )
    assert client.get(f"/v1/tracking/{token}").json["courier"] is None


def test_a_cancelled_orders_share_link_also_ends_three_hours_later(client, session, clock, job):
    token = owner_view(client, job).json["share_token"]
    cancelled = client.post(f"/v1/orders/{job['order']['id']}/cancel", headers=job["consumer"])
    assert cancelled.status_code == 200, cancelled.json
    clock.advance(hours=3)
    assert client.get(f"/v1/tracking/{token}").status_code == 410


def test_the_eta_follows_the_courier_and_is_null_while_looking_for_one(client, session, clock, job):
    offered = owner_view(client, job).json
    assert offered["looking_for_courier"] is True and offered["eta_s"] is None
    assert offered["eta_at"] is None and not offered["late"]
    me = job["me"]
    (offer,) = client.get("/v1/courier/offers", headers=me).json["deliveries"]
    client.post(f"/v1/courier/offers/{offer['id']}/accept", headers=me)
    far = {"lat": job["order"]["store"]["lat"] + 0.09, "lon": job["order"]["store"]["lon"]}
    client.put("/v1/courier/location", json=far, headers=me)  # 10 km away: 40 min at 15 km/h
    assigned = owner_view(client, job).json
    assert assigned["courier"]["name"] == "骑手0" and assigned["courier"]["position_age_s"] == 0
    assert assigned["looking_for_courier"] is False and assigned["eta_s"] > 40 * 60
    clock.advance(minutes=50)
    assert owner_view(client, job).json["late"] is True


def test_a_late_delivery_earns_exactly_one_compensation_coupon(client, session, clock, job):
    backdate(session, job["order"]["id"], minutes=5)
    session.commit()
    assert deliver(client, session, clock, job).status_code == 200
    coupons = session.execute(select(Coupon).where(Coupon.consumer_id == job["consumer_id"]))
    (coupon,) = coupons.scalars().all()
    assert (coupon.discount_fen, coupon.threshold_fen, coupon.status) == (1000, 0, "AVAILABLE")
    campaign = compensation_budget(session, job["city"].id)
    assert (campaign.issuer, campaign.issued_fen) == ("platform", 1000)
    kinds = [e["kind"] for e in owner_view(client, job).json["timeline"]]
    assert kinds[-2:] == ["delivered", "compensated"]
    ledger = session.execute(
        select(LedgerEntry.kind, LedgerEntry.amount_fen).where(
            LedgerEntry.order_id == job["order"]["id"]
        )
    ).all()
    assert sorted(map(tuple, ledger)) == [("charge", 9600), ("compensation", 1000)]


def test_an_exhausted_compensation_budget_refuses_and_says_so(client, session, clock, job):
    from service.deliveries.compensation import compensation_campaign

    campaign, _, _ = compensation_campaign(session, job["city"].id, clock.now())
    session.execute(
        update(Campaign).where(Campaign.id == campaign.id).values(issued_fen=BUDGET_FEN - 10)
    )
    backdate(session, job["order"]["id"], minutes=5)
    session.commit()
    assert deliver(client, session, clock, job).status_code == 200
    assert (
        session.execute(
            select(func.count()).select_from(Coupon).where(Coupon.campaign_id == campaign.id)
        ).scalar()
        == 0
    )
    assert owner_view(client, job).json["timeline"][-1]["kind"] == "compensation_refused"


def test_operators_see_late_orders_and_the_delivery_figures(client, session, clock, job):
    operator = {"Authorization": f"Bearer {make_operator(session, clock.now())}"}
    backdate(session, job["order"]["id"], minutes=5)
    session.commit()
    late = client.get("/v1/ops/late-orders", headers=operator).json["orders"]
    assert [(o["id"], o["late_minutes"]) for o in late] == [(job["order"]["id"], 5)]
    deliver(client, session, clock, job, ride_minutes=10)
    since = (clock.now() - timedelta(hours=1)).isoformat()
    until = (clock.now() + timedelta(hours=1)).isoformat()
    figures = client.get(
        "/v1/ops/delivery-figures",
        headers=operator,
        query_string={"since": since, "until": until, "city_id": job["city"].id},
    ).json
    (city,) = figures["cities"]
    assert (city["delivered"], city["on_time_rate"], city["p50_minutes"]) == (1, 0.0, 10.0)
    assert figures["stores"][0]["store_id"] == job["store"].id
    assert figures["stores"][0]["store_name"] == job["store"].name
    assert client.get("/v1/ops/late-orders", headers=operator).json["orders"] == []
    naive = client.get(
        "/v1/ops/delivery-figures",
        headers=operator,
        query_string={"since": datetime(2026, 1, 1).isoformat(), "until": until},
    )
    assert naive.status_code == 422
    assert session.get(Order, job["order"]["id"]).status == "DELIVERED"
