"""Orders under real concurrency: 2 gunicorn workers, clients released together, both engines.

Each case runs plain and with a failpoint sleeping between the matching checks and the
writes; stock and idempotency must stay exact either way.
"""

import json
from collections import Counter

import pytest
import requests
from sqlalchemy import func, select

from service.campaigns.models import Campaign
from service.catalog.models import StoreStock
from service.clock import SystemClock
from service.db import Database, make_engine
from service.orders.models import IdempotencyKey, LedgerEntry, Order
from tests.support.factories import (
    TEST_CENTRE,
    claimed_coupon_id,
    make_campaign,
    make_city,
    make_consumers,
    make_store,
)
from tests.support.payments import cashier_path
from tests.support.race import race

pytestmark = pytest.mark.live
FAILPOINTS = {"plain": "", "delayed": "order.after_checks=0.02"}
HOME = {"lat": TEST_CENTRE[0], "lon": TEST_CENTRE[1], "address": "测试路100号"}


@pytest.fixture(params=sorted(FAILPOINTS))
def server(request, live_server):
    return live_server(failpoints=FAILPOINTS[request.param])


def order_call(server, token, key, **extra):
    body = {"items": [{"sku": "BAK-0001", "qty": 1}], "payment_method": "wechat", **HOME, **extra}
    return {
        "method": "POST",
        "url": server.url + "/v1/orders",
        "json": body,
        "headers": {"Authorization": f"Bearer {token}", "Idempotency-Key": key},
    }


def test_100_orders_for_20_in_stock_place_exactly_20(server):
    engine = make_engine(server.database_url)
    with Database(engine).unit_of_work() as session:
        now = SystemClock().now()
        store = make_store(
            session, make_city(session), 1.0, max_open_orders=500, stock={"BAK-0001": (20, 4800)}
        )
        people = make_consumers(session, 100, now)
    responses = race([order_call(server, token, "k") for _, token in people])
    outcomes = Counter(r.status_code for r in responses)
    assert outcomes == {201: 20, 409: 80}, outcomes
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {
        "no_store_available"
    }
    with engine.connect() as conn:
        on_hand, held = conn.execute(
            select(StoreStock.on_hand, StoreStock.reserved).where(StoreStock.store_id == store.id)
        ).one()
        orders = conn.execute(select(func.count()).select_from(Order)).scalar()
    assert (on_hand, held, orders) == (20, 20, 20)
    engine.dispose()


def test_10_posts_with_one_key_make_one_order_one_redemption_one_charge(server):
    engine = make_engine(server.database_url)
    with Database(engine).unit_of_work() as session:
        now = SystemClock().now()
        test_city = make_city(session)
        make_store(session, test_city, 1.0)
        campaign, _ = make_campaign(session, now, code="testville", pack=((0, 500, 1),))
        ((consumer_id, token),) = make_consumers(session, 1, now)
        coupon_id = claimed_coupon_id(
            session, consumer_id, campaign.id, now, lat=HOME["lat"], lon=HOME["lon"]
        )
    calls = [order_call(server, token, "one-key", coupon_id=coupon_id)] * 10
    responses = race(calls, clients=10)
    assert {r.status_code for r in responses} == {201}
    assert len({json.dumps(r.json(), sort_keys=True) for r in responses}) == 1
    paid = requests.post(
        server.url + cashier_path(responses[0].json()["payment"]),
        timeout=30,
        json={"action": "pay", "deliver": "now"},
    )
    assert paid.status_code == 200, paid.text
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Order)).scalar() == 1
        assert conn.execute(select(func.count()).select_from(IdempotencyKey)).scalar() == 1
        charges = conn.execute(select(func.count()).where(LedgerEntry.kind == "charge")).scalar()
        redeemed = conn.execute(select(Campaign.redeemed_fen).where(Campaign.id == campaign.id))
        assert (charges, redeemed.scalar()) == (1, 500)
    engine.dispose()
