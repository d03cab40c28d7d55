"""Spending and returning coupons, and expiring them: the campaign's figures follow."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from service.campaigns.claims import claim_pack
from service.campaigns.models import Campaign, Coupon, CouponEvent
from service.campaigns.redemption import expire_coupons, redeem_coupon, release_coupon
from service.clock import SystemClock
from service.errors import Conflict
from service.jobs.registry import JOBS
from service.jobs.runner import run_job
from service.orders.models import Order
from tests.support.factories import (
    CHANGSHA_POINT,
    city,
    make_campaign,
    make_consumers,
    store_selling,
)


def claimed_coupon(session, now, **campaign_fields):
    campaign, _ = make_campaign(session, now, pack=((0, 500, 1),), **campaign_fields)
    ((consumer_id, _),) = make_consumers(session, 1, now)
    claimed = claim_pack(
        session=session, consumer_id=consumer_id, campaign_id=campaign.id, now=now, **CHANGSHA_POINT
    )
    return campaign, consumer_id, claimed.coupons[0].id


def an_order(session, consumer_id, now) -> Order:
    store, _ = store_selling(session, "changsha", "bakery")
    order = Order(
        city_id=city(session).id,
        consumer_id=consumer_id,
        store_id=store.id,
        payment_method="wechat",
        address="五一广场",
        lat=28.195,
        lon=112.976,
        subtotal_fen=1000,
        payable_fen=500,
        handoff_code="1234",
        placed_at=now,
        promised_at=now + timedelta(hours=1),
        eta_at=now,
        updated_at=now,
    )
    session.add(order)
    session.flush()
    return order


def spend_500(session, coupon_id: int, consumer_id: int, order_id: int, now) -> None:
    """The consumer spends the coupon on the order for a 5-yuan discount."""
    redeem_coupon(
        session=session,
        coupon_id=coupon_id,
        consumer_id=consumer_id,
        order_id=order_id,
        discount_fen=500,
        now=now,
    )


def test_redeem_then_release_moves_the_campaigns_redeemed_figure_only(session, clock):
    now = clock.now()
    campaign, consumer_id, coupon_id = claimed_coupon(session, now)
    order = an_order(session, consumer_id, now)
    spend_500(session, coupon_id, consumer_id, order.id, now)
    session.refresh(campaign)
    assert (campaign.issued_fen, campaign.redeemed_fen) == (500, 500)
    assert session.get(Coupon, coupon_id).status == "REDEEMED"
    with pytest.raises(Conflict, match="not available"):
        spend_500(session, coupon_id, consumer_id, order.id, now)
    assert (
        release_coupon(
            session=session, coupon_id=coupon_id, order_id=order.id, discount_fen=500, now=now
        )
        == "AVAILABLE"
    )
    session.refresh(campaign)
    assert (campaign.issued_fen, campaign.redeemed_fen) == (500, 0)
    kinds = session.execute(select(CouponEvent.kind).where(CouponEvent.coupon_id == coupon_id))
    assert list(kinds.scalars()) == ["redeemed", "released"]


def test_a_coupon_released_after_its_validity_becomes_expired(session, clock):
    now = clock.now()
    _, consumer_id, coupon_id = claimed_coupon(session, now)
    order = an_order(session, consumer_id, now)
    spend_500(session, coupon_id, consumer_id, order.id, now)
    later = now + timedelta(days=30)
    assert (
        release_coupon(
            session=session, coupon_id=coupon_id, order_id=order.id, discount_fen=500, now=later
        )
        == "EXPIRED"
    )


def test_someone_elses_coupon_cannot_be_redeemed(session, clock):
    now = clock.now()
    _, consumer_id, coupon_id = claimed_coupon(session, now)
    order = an_order(session, consumer_id, now)
    with pytest.raises(Conflict):
        spend_500(session, coupon_id, consumer_id + 1, order.id, now)


def test_expiry_expires_only_what_is_past_its_validity(session, clock):
    now = clock.now()
    _, _, old = claimed_coupon(session, now)
    _, _, fresh = claimed_coupon(session, now + timedelta(days=9, hours=23))
    changed = expire_coupons(
        session=session, now=now + timedelta(days=10, minutes=1), city_id=city(session).id
    )
    assert changed >= 1
    assert session.get(Coupon, old).status == "EXPIRED"
    assert session.get(Coupon, fresh).status == "AVAILABLE"


def test_expiry_writes_one_coupon_event_per_expired_coupon(session, clock):
    now = clock.now()
    _, _, old = claimed_coupon(session, now)
    later = now + timedelta(days=10, minutes=1)
    changed = expire_coupons(session=session, now=later, city_id=city(session).id)
    query = select(CouponEvent).where(CouponEvent.kind == "expired", CouponEvent.at == later)
    events = session.execute(query).scalars().all()
    assert len(events) == changed and old in {e.coupon_id for e in events}
    assert {e.order_id for e in events} == {None}


def test_expire_job_runs_city_by_city_from_the_runner(committed_db):
    database = committed_db
    now = SystemClock().now()
    with database.unit_of_work() as session:
        _, _, coupon_id = claimed_coupon(session, now)
    report = run_job(JOBS["expire_coupons"], database=database, now=now + timedelta(days=11))
    assert report.failed == [] and report.items >= 14 and report.changed >= 1
    with database.unit_of_work(write=False) as session:
        assert session.get(Coupon, coupon_id).status == "EXPIRED"


def test_two_orders_racing_for_one_coupon_redeem_it_once(committed_db):
    database = committed_db
    now = SystemClock().now()
    with database.unit_of_work() as session:
        campaign, consumer_id, coupon_id = claimed_coupon(session, now)
        orders = [an_order(session, consumer_id, now).id for _ in range(8)]
    barrier = threading.Barrier(len(orders))
    outcomes = []

    def spend(order_id):
        barrier.wait()
        try:
            with database.unit_of_work() as session:
                spend_500(session, coupon_id, consumer_id, order_id, now)
            outcomes.append("redeemed")
        except Conflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=spend, args=(o,)) for o in orders]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(outcomes) == ["redeemed"] + ["refused"] * 7
    with database.unit_of_work(write=False) as session:
        assert session.get(Campaign, campaign.id).redeemed_fen == 500
