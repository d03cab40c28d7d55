"""POST /v1/quote: the seed world's offers priced end to end, with no side effects."""

import pytest
from sqlalchemy import select

from service.campaigns.models import Campaign, CampaignStore, Coupon
from tests.support.factories import city, make_campaign, make_consumers, store_selling

BEIJING = {"lat": 39.92, "lon": 116.44}
CHANGSHA = {"lat": 28.195, "lon": 112.976}


@pytest.fixture
def shopper(session, clock):
    ((consumer_id, token),) = make_consumers(session, 1, clock.now())
    session.commit()
    return consumer_id, {"Authorization": f"Bearer {token}"}


def claim_seed(client, session, name, point, headers):
    campaign_id = session.execute(select(Campaign.id).where(Campaign.name == name)).scalar_one()
    response = client.post(f"/v1/campaigns/{campaign_id}/claim", json=point, headers=headers)
    assert response.status_code == 201, response.json
    return response.json["coupons"]


def quote(client, headers, store_id, items, point, **extra):
    body = {
        "items": [{"sku": s, "qty": q} for s, q in items],
        "payment_method": "wechat",
        "store_id": store_id,
        **point,
        **extra,
    }
    return client.post("/v1/quote", json=body, headers=headers)


def test_beijing_green_coupon_stacks_with_every_299_off_50(client, session, shopper):
    coupons = claim_seed(client, session, "北京绿色节能消费券", BEIJING, shopper[1])
    store, skus = store_selling(session, "beijing", "appliances", min_price_fen=300_000)
    sku, unit = skus[0]
    big = max(
        (c for c in coupons if c["threshold_fen"] <= unit - unit // 29_900 * 5_000),
        key=lambda c: c["discount_fen"],
    )
    response = quote(client, shopper[1], store.id, [(sku, 1)], BEIJING, coupon_id=big["id"])
    assert response.status_code == 200, response.json
    body = response.json
    assert body["promotion"]["discount_fen"] == unit // 29_900 * 5_000
    assert body["coupon"]["base_fen"] == unit - body["promotion"]["discount_fen"]
    assert body["coupon"]["discount_fen"] == big["discount_fen"]
    assert body["coupon"]["funding"] == {
        "government": big["discount_fen"],
        "platform": 0,
        "merchant": 0,
    }
    assert body["payable_fen"] == unit - body["promotion"]["discount_fen"] - big["discount_fen"]
    assert body["lines"][0]["payable_fen"] == body["goods_payable_fen"]


def test_quote_without_a_coupon_suggests_the_best_and_changes_nothing(client, session, shopper):
    coupons = claim_seed(client, session, "北京绿色节能消费券", BEIJING, shopper[1])
    store, skus = store_selling(session, "beijing", "appliances", min_price_fen=300_000)
    response = quote(client, shopper[1], store.id, [(skus[0][0], 1)], BEIJING)
    body = response.json
    assert body["coupon"] is None
    suggestion = body["suggested_coupon"]
    assert suggestion["saves_fen"] == body["payable_fen"] - suggestion["payable_fen"] > 0
    named = quote(
        client, shopper[1], store.id, [(skus[0][0], 1)], BEIJING, coupon_id=suggestion["coupon_id"]
    ).json
    assert named["payable_fen"] == suggestion["payable_fen"]
    statuses = session.execute(
        select(Coupon.status).where(Coupon.id.in_([c["id"] for c in coupons]))
    ).scalars()
    assert set(statuses) == {"AVAILABLE"}


def test_digital_rmb_coupon_applies_only_when_paid_that_way(client, session, shopper):
    chengdu = {"lat": 30.6571, "lon": 104.0833}
    coupons = claim_seed(client, session, "成都数字人民币消费券", chengdu, shopper[1])
    store, skus = store_selling(session, "chengdu", "supermarket")
    small = min(coupons, key=lambda c: c["threshold_fen"])  # 满100减30; stays under 299 so
    sku, unit = skus[0]  # the non-stacking campaign is not beaten by the promotion
    items = [(sku, -(-small["threshold_fen"] // unit))]
    by_card = quote(client, shopper[1], store.id, items, chengdu, coupon_id=small["id"]).json
    assert by_card["coupon"] is None
    assert by_card["coupon_refusal"] == "payment_method_not_allowed"
    paid = quote(
        client,
        shopper[1],
        store.id,
        items,
        chengdu,
        coupon_id=small["id"],
        payment_method="digital_rmb",
    ).json
    assert paid["coupon"]["discount_fen"] == small["discount_fen"]


def test_coupon_of_a_campaign_the_store_is_not_in_is_refused(client, session, clock, shopper):
    store, skus = store_selling(session, "changsha", "bakery")
    other, _ = store_selling(session, "changsha", "supermarket")
    campaign, _ = make_campaign(session, clock.now(), all_stores=False, pack=((0, 500, 1),))
    session.add(
        CampaignStore(
            campaign_id=campaign.id, store_id=other.id, city_id=city(session, "changsha").id
        )
    )
    session.commit()
    coupon = client.post(
        f"/v1/campaigns/{campaign.id}/claim", json=CHANGSHA, headers=shopper[1]
    ).json["coupons"][0]
    body = quote(
        client, shopper[1], store.id, [(skus[0][0], 1)], CHANGSHA, coupon_id=coupon["id"]
    ).json
    assert body["coupon_refusal"] == "store_not_in_campaign"


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"items": [{"sku": "NOPE-1", "qty": 1}]}, 422, "items.0.sku"),
        ({"items": []}, 422, "items"),
        ({"payment_method": "cash"}, 422, "payment_method"),
        ({"coupon_id": 999_999}, 404, "coupon_id"),
        ({"lat": 31.0, "lon": 121.0}, 422, "lat"),
    ],
)
def test_bad_quotes_get_a_clear_error(client, session, shopper, change, status, field):
    store, skus = store_selling(session, "changsha", "bakery")
    body = {
        "items": [{"sku": skus[0][0], "qty": 1}],
        "payment_method": "wechat",
        "store_id": store.id,
        **CHANGSHA,
        **change,
    }
    response = client.post("/v1/quote", json=body, headers=shopper[1])
    assert (response.status_code, response.json["error"]["field"]) == (status, field)


def test_a_store_of_another_city_cannot_quote_here(client, session, shopper):
    store, skus = store_selling(session, "beijing", "appliances")
    response = quote(client, shopper[1], store.id, [(skus[0][0], 1)], CHANGSHA)
    assert response.status_code == 404 and response.json["error"]["field"] == "store_id"
