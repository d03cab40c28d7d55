"""Report figures that depend on what happened after placement: short-picks at the goods' value,
matching refusals kept per city and day, and city-local days across a DST change."""

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import literal, select

from service.db import UTCDateTime, make_engine
from service.db.migrate import upgrade
from service.orders.models import MatchingRefusal
from service.reports.span import Span, bucket, local_label
from tests.support.databases import old_sqlite
from tests.support.payments import place_and_pay
from tests.test_reports import operator_of
from tests.test_short_pick import (  # noqa: F401
    CART,
    accepted_order,
    claim,
    picking,
    refunds,
    short,
)


def campaign_totals(client, campaign_id, headers) -> dict:
    answer = client.get(f"/v1/admin/reports/campaigns/{campaign_id}", headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json


def city_report(client, city_id, headers, **query) -> dict:
    answer = client.get(f"/v1/admin/reports/cities/{city_id}", headers=headers, query_string=query)
    assert answer.status_code == 200, answer.json
    return answer.json


@pytest.fixture
def coupon_order(client, session, clock, picking):  # noqa: F811
    """An accepted 300-yuan order (200 + 100 yuan of bread) with a 30-yuan coupon."""
    store, consumer, staff = picking
    campaign, coupon_id = claim(client, session, clock, consumer)
    order = accepted_order(client, consumer, staff, {**CART, "coupon_id": coupon_id})
    operator = operator_of(session, clock, store.city_id)
    session.commit()
    return {"store": store, "staff": staff, "campaign": campaign, "order": order, "op": operator}


def test_a_short_pick_takes_the_goods_value_off_gmv_not_the_refund(client, session, coupon_order):
    order, staff = coupon_order["order"], coupon_order["staff"]
    # 30,000 fen of goods; the 5,000 promotion and 3,000 coupon are spread 2:1 over the lines,
    # so dropping the 10,000-fen loaf refunds 10,000 - 1,667 - 1,000 = 7,333: GMV loses 10,000.
    paid = (order["subtotal_fen"], order["promotion_fen"], order["coupon_fen"])
    assert paid == (30000, 5000, 3000)
    assert short(client, staff, order, "BAK-0002", 0).status_code == 200
    assert refunds(session, order["id"]) == [7333]
    report = campaign_totals(client, coupon_order["campaign"].id, coupon_order["op"])
    assert (report["totals"]["gmv_fen"], report["totals"]["short_pick_fen"]) == (20000, 10000)
    assert report["reconciled"] is True, report["differences"]
    city = city_report(client, coupon_order["store"].city_id, coupon_order["op"])
    assert (city["gmv_fen"], city["short_picked_fen"]) == (20000, 10000)


def test_an_order_short_picked_then_cancelled_loses_its_goods_once(client, coupon_order):
    order, staff = coupon_order["order"], coupon_order["staff"]
    assert short(client, staff, order, "BAK-0002", 0).status_code == 200
    last = short(client, staff, order, "BAK-0001", 0)  # nothing left: the order is cancelled
    assert last.json["status"] == "CANCELLED"
    report = campaign_totals(client, coupon_order["campaign"].id, coupon_order["op"])
    totals = report["totals"]
    # placed 30,000; short-picked 10,000 + 20,000; the cancel takes back the 0 left
    assert (totals["gmv_fen"], totals["short_pick_fen"], totals["orders"]) == (0, 30000, 0)
    assert report["reconciled"] is True, report["differences"]
    city = city_report(client, coupon_order["store"].city_id, coupon_order["op"])
    assert (city["gmv_fen"], city["cancelled"]) == (0, 1)
    assert city["cancellations_by_reason"] == [{"reason": "short_picked", "count": 1, "fen": 0}]


def test_a_refused_order_is_counted_in_the_city_report_by_reason(client, session, clock, picking):  # noqa: F811
    store, consumer, _ = picking
    operator = operator_of(session, clock, store.city_id)
    session.commit()
    body = {**CART, "items": [{"sku": "BAK-0001", "qty": 50}]}  # the store holds 5
    for key in ("r1", "r2"):
        refused = place_and_pay(client, body, consumer, key)
        assert refused.status_code == 409 and refused.json["error"]["code"] == "no_store_available"
    report = city_report(client, store.city_id, operator)
    assert report["refusals_by_reason"] == [{"reason": "out_of_stock", "orders": 2, "stores": 2}]
    rows = session.execute(select(MatchingRefusal.day, MatchingRefusal.orders)).all()
    assert rows == [(clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date(), 2)]  # Testville
    csv = client.get(f"/v1/admin/reports/cities/{store.city_id}?format=csv", headers=operator)
    assert "refused,out_of_stock,2,,2\r\n" in csv.get_data(as_text=True)


@pytest.mark.parametrize(
    ("zone", "at", "day", "hour"),
    [
        # Berlin goes from +01:00 to +02:00 at 01:00 UTC on 29 March 2026: a range that starts
        # in winter must still put a summer evening's 22:30 UTC on the next local day.
        ("Europe/Berlin", "2026-04-01T22:30:00", "2026-04-02", "2026-04-02 00:00"),
        ("Europe/Berlin", "2026-03-21T22:30:00", "2026-03-21", "2026-03-21 23:00"),
        ("Europe/Berlin", "2026-03-29T00:59:00", "2026-03-29", "2026-03-29 01:00"),
        ("Europe/Berlin", "2026-03-29T01:00:00", "2026-03-29", "2026-03-29 03:00"),
        ("Asia/Kolkata", "2026-03-21T18:29:00", "2026-03-21", "2026-03-21 23:00"),
        ("Asia/Kolkata", "2026-03-21T18:30:00", "2026-03-22", "2026-03-22 00:00"),
        ("America/St_Johns", "2026-04-02T02:29:00", "2026-04-01", "2026-04-01 23:00"),
    ],
)
def test_every_event_falls_on_the_local_day_of_its_own_offset(session, zone, at, day, hour):
    span = Span(date(2026, 3, 20), date(2026, 4, 5), ZoneInfo(zone))
    dialect = session.get_bind().dialect.name
    instant = literal(datetime.fromisoformat(at).replace(tzinfo=UTC), UTCDateTime())
    for group, expected in (("day", day), ("hour", hour)):
        key = session.execute(select(bucket(instant, group, span, dialect))).scalar_one()
        assert local_label(group, span, dialect)(key) == expected


def test_0010_backfills_orders_campaign_and_the_goods_of_old_short_picks(tmp_path):
    path = tmp_path / "old.sqlite3"
    raw = old_sqlite(path, "0008")
    raw.execute(
        "INSERT INTO campaigns (id, city_id, issuer, issuer_name, name, budget_fen,"
        " issued_fen, redeemed_fen, stacks_with_platform, categories, all_stores,"
        " funding_government_pct, funding_platform_pct, funding_merchant_pct, starts_at,"
        " ends_at, paused) VALUES (7, 1, 'city', 'x', 'x', 1, 0, 0, 1, '[]', 1, 100, 0,"
        " 0, '2026-01-01', '2026-02-01', 0)"
    )
    raw.execute(
        "INSERT INTO coupons (id, city_id, consumer_id, campaign_id, batch_id, template_id,"
        " pack_claim_id, status, threshold_fen, discount_fen, valid_from, valid_until,"
        " claimed_at) VALUES (5, 1, 1, 7, 1, 1, 1, 'REDEEMED', 0, 300, '2026-01-01',"
        " '2026-02-01', '2026-01-01')"
    )
    for order_id, coupon_id in ((1, 5), (2, None)):
        raw.execute(
            "INSERT INTO orders (id, city_id, consumer_id, store_id, status,"
            " payment_method, address, lat, lon, subtotal_fen, promotion_fen, coupon_fen,"
            " delivery_fee_fen, payable_fen, coupon_id, handoff_code, tried_store_ids,"
            " placed_at, promised_at, eta_at, updated_at) VALUES (?, 1, 1, 1, 'ACCEPTED',"
            " 'x', 'x', 0, 0, 5000, 0, 300, 0, 4700, ?, '1234', '[]', '2026-01-01',"
            " '2026-01-01', '2026-01-01', '2026-01-01')",
            (order_id, coupon_id),
        )
    raw.execute(
        "INSERT INTO order_lines (id, order_id, city_id, product_id, sku, name, category,"
        " qty, picked_qty, unit_price_fen, amount_fen, promotion_share_fen,"
        " coupon_share_fen) VALUES (3, 1, 1, 1, 'S', 'n', 'bakery', 5, 2, 1000, 5000, 0,"
        " 300)"
    )
    raw.execute(
        "INSERT INTO order_events (order_id, city_id, store_id, kind, actor_role, data, at)"
        " VALUES (1, 1, 1, 'short_picked', 'store', ?, '2026-01-01')",
        (json.dumps({"line_id": 3, "missing": 3, "refund_fen": 2820}),),
    )
    raw.commit()
    raw.close()
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as connection:
        campaigns = connection.exec_driver_sql("SELECT campaign_id FROM orders ORDER BY id").all()
        data = connection.exec_driver_sql("SELECT data FROM order_events").scalar()
    engine.dispose()
    assert campaigns == [(7,), (None,)]
    assert json.loads(data)["goods_fen"] == 3000
