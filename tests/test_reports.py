"""Campaign and city reports: totals to the fen, per funder, reconciled against every record."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from service.auth.service import issue_token
from service.campaigns.models import Coupon, Promotion
from service.people.models import Operator
from service.stores.models import Store
from tests.support.factories import (
    make_campaign,
    make_city,
    make_consumers,
    make_store,
)
from tests.support.payments import place_and_pay, settle_refunds
from tests.test_orders import HOME


def bearer(session, clock, role, principal_id):
    _, secret = issue_token(session=session, role=role, principal_id=principal_id, now=clock.now())
    return {"Authorization": f"Bearer {secret}"}


def operator_of(session, clock, city_id):
    operator = Operator(name=f"运营 {city_id}", city_id=city_id)
    session.add(operator)
    session.flush()
    return bearer(session, clock, "operator", operator.id)


@pytest.fixture
def world(session, clock):
    """Testville: one bakery, a 34/33/33 campaign, a non-stacking one, a 每满90减5 promotion."""
    town = make_city(session)
    make_store(session, town, 1.0, stock={"BAK-0001": (100, 4800)})
    now = clock.now()
    stacked, _ = make_campaign(
        session,
        now,
        code="testville",
        pack=((5000, 1000, 1), (0, 333, 1)),
        funding_government_pct=34,
        funding_platform_pct=33,
        funding_merchant_pct=33,
    )
    lone, _ = make_campaign(
        session, now, code="testville", pack=((0, 400, 1),), stacks_with_platform=False
    )
    session.add(
        Promotion(
            name="测试每满90减5",
            kind="every_threshold",
            threshold_fen=9000,
            discount_fen=500,
            city_id=town.id,
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=5),
        )
    )
    people = [{"Authorization": f"Bearer {t}"} for _, t in make_consumers(session, 3, now)]
    operator = operator_of(session, clock, town.id)
    session.commit()
    return {"town": town, "stacked": stacked, "lone": lone, "people": people, "op": operator}


def claim(client, campaign_id, headers) -> dict[int, int]:
    """Claim a pack; {discount_fen: coupon id}."""
    answer = client.post(
        f"/v1/campaigns/{campaign_id}/claim",
        headers=headers,
        json={"lat": HOME["lat"], "lon": HOME["lon"]},
    )
    assert answer.status_code == 201, answer.json
    return {c["discount_fen"]: c["id"] for c in answer.json["coupons"]}


def order(client, headers, key, qty, coupon_id=None) -> dict:
    body = {"items": [{"sku": "BAK-0001", "qty": qty}], "payment_method": "wechat", **HOME}
    if coupon_id:
        body["coupon_id"] = coupon_id
    placed = place_and_pay(client, body, headers, key)
    assert placed.status_code == 201, placed.json
    return placed.json["order"]


def play(client, clock, world) -> None:
    """Day 1: three packs, three orders with the stacked campaign's coupons, one without, one
    with the non-stacking campaign's. Day 2: one coupon order cancelled."""
    people, stacked = world["people"], world["stacked"].id
    coupons = [claim(client, stacked, headers) for headers in people]
    lone = claim(client, world["lone"].id, people[0])
    first = order(client, people[0], "a", 2, coupons[0][1000])  # 9600, promotion 500, coupon 1000
    assert (first["promotion_fen"], first["coupon_fen"]) == (500, 1000)
    order(client, people[1], "b", 1, coupons[1][333])  # 4800, coupon 333
    order(client, people[2], "c", 1)  # no coupon: not the campaign's
    order(client, people[0], "d", 1, lone[400])  # the other campaign's
    doomed = order(client, people[2], "e", 2, coupons[2][1000])
    clock.advance(days=1)
    cancelled = client.post(f"/v1/orders/{doomed['id']}/cancel", json={}, headers=people[2])
    assert cancelled.status_code == 200
    settle_refunds(client)


def report(client, world, **query):
    path = f"/v1/admin/reports/campaigns/{world['stacked'].id}"
    return client.get(path, query_string=query, headers=world["op"])


def test_campaign_report_adds_up_to_the_fen_per_funder_and_reconciles(client, clock, world):
    play(client, clock, world)
    answer = report(client, world)
    assert answer.status_code == 200, answer.json
    totals = answer.json["totals"]
    assert {
        k: totals[k]
        for k in (
            "packs_claimed",
            "issued_count",
            "issued_fen",
            "orders",
            "redeemed_count",
            "released_count",
            "redeemed_fen",
            "gmv_fen",
            "promotion_fen",
            "government_fen",
            "platform_fen",
            "merchant_fen",
        )
    } == {
        "packs_claimed": 3,
        "issued_count": 6,
        "issued_fen": 3 * 1333,
        "orders": 2,
        "redeemed_count": 3,
        "released_count": 1,
        "redeemed_fen": 1333,
        "gmv_fen": 9600 + 4800,
        "promotion_fen": 500,
        # 1000 -> 340/330/330; 333 -> 113.22/109.89/109.89 -> 113/110/110 (largest remainder)
        "government_fen": 453,
        "platform_fen": 440,
        "merchant_fen": 440,
    }
    assert totals["leverage"] == round(14400 / 453, 2)
    assert answer.json["reconciled"] is True and answer.json["differences"] == []
    days = {row["key"]: row for row in answer.json["rows"]}
    day1, day2 = sorted(days)
    assert (days[day1]["gmv_fen"], days[day2]["gmv_fen"]) == (24000, -9600)
    assert (days[day1]["government_fen"], days[day2]["government_fen"]) == (793, -340)


def test_the_day_chart_of_net_redemptions_adds_up_to_the_total_a_cancel_included(
    client, clock, world
):
    # Three coupons redeemed on day 1, one given back by a cancel on day 2: the console's day
    # chart drew redeemed_count (3) beside a total of 核销 2. The net figure per day adds up.
    play(client, clock, world)
    answer = report(client, world, group="day").json
    totals, rows = answer["totals"], answer["rows"]
    assert (totals["redeemed_count"], totals["released_count"]) == (3, 1)
    assert totals["net_redeemed_count"] == 2
    assert [row["net_redeemed_count"] for row in rows] == [3, -1]
    assert sum(row["net_redeemed_count"] for row in rows) == totals["net_redeemed_count"]


def test_a_report_by_store_names_each_store(client, session, clock, world):
    play(client, clock, world)
    rows = report(client, world, group="store").json["rows"]
    names = dict(session.execute(select(Store.id, Store.name)).all())
    assert rows and all(row["store_name"] == names[int(row["key"])] for row in rows)


def test_a_coupon_row_changed_behind_the_campaigns_back_is_named(client, session, clock, world):
    play(client, clock, world)
    coupon_id = session.execute(
        select(Coupon.id).where(Coupon.campaign_id == world["stacked"].id).limit(1)
    ).scalar()
    session.execute(
        update(Coupon).where(Coupon.id == coupon_id).values(discount_fen=Coupon.discount_fen + 7)
    )
    session.commit()
    answer = report(client, world).json
    assert answer["reconciled"] is False
    assert [d["check"] for d in answer["differences"]] == ["issued_fen"]
    assert answer["differences"][0]["values"] == {
        "campaign": 3999,
        "coupon_rows": 4006,
        "pack_claims": 3999,
    }


@pytest.mark.parametrize("group", ["hour", "store", "category", "chain"])
def test_every_grouping_sums_to_the_same_gmv(client, clock, world, group):
    play(client, clock, world)
    rows = report(client, world, group=group).json["rows"]
    assert sum(row["gmv_fen"] for row in rows) == 14400
    assert sum(row["redeemed_fen"] for row in rows) == 1333


def test_csv_starts_with_a_bom_and_has_one_line_per_day(client, clock, world):
    play(client, clock, world)
    answer = report(client, world, format="csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    text = answer.get_data(as_text=True)
    assert text.startswith("\ufeffkey,")
    assert len(text.strip().splitlines()) == 3


def test_csv_of_a_campaign_with_no_activity_is_a_header_row(client, world):
    lines = report(client, world, format="csv").get_data(as_text=True).strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("\ufeffkey,packs_claimed")


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2026-05-02", "to": "2026-05-01"},
        {"from": "yesterday"},
        {"group": "week"},
        {"from": "2025-01-01", "to": "2026-01-02"},
    ],
)
def test_bad_ranges_and_groups_are_422(client, world, query):
    assert report(client, world, **query).status_code == 422


def test_other_cities_operators_get_404_and_other_roles_403(client, session, clock, world):
    from tests.support.factories import city

    elsewhere = operator_of(session, clock, city(session, "changsha").id)
    consumer = world["people"][0]
    session.commit()
    path = f"/v1/admin/reports/campaigns/{world['stacked'].id}"
    assert client.get(path, headers=elsewhere).status_code == 404
    assert client.get(path, headers=consumer).status_code == 403
    town = f"/v1/admin/reports/cities/{world['town'].id}"
    assert client.get(town, headers=elsewhere).status_code == 404
    assert client.get(town, headers=consumer).status_code == 403


def test_city_report_counts_orders_gmv_and_cancels_by_reason(client, clock, world):
    play(client, clock, world)
    answer = client.get(
        f"/v1/admin/reports/cities/{world['town'].id}",
        headers=world["op"],
        query_string={"from": (clock.now() - timedelta(days=3)).date()},
    )
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert (body["orders"], body["gmv_fen"], body["cancelled"]) == (5, 33600 - 9600, 1)
    assert body["cancellations_by_reason"][0]["count"] == 1
    assert sum(body["stores"].values()) == 1
    csv = client.get(
        f"/v1/admin/reports/cities/{world['town'].id}?format=csv", headers=world["op"]
    ).get_data(as_text=True)
    assert csv.startswith("\ufefffigure,reason,count,fen")
