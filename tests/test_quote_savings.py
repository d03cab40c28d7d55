"""The quote shows what each usable coupon saves and the nearest threshold not reached."""

from tests.support.factories import (
    TEST_CENTRE,
    make_campaign,
    make_city,
    make_consumers,
    make_store,
)

HERE = {"lat": TEST_CENTRE[0], "lon": TEST_CENTRE[1]}


def test_each_coupon_shows_its_saving_and_the_next_threshold_is_hinted(client, session, clock):
    test_city = make_city(session)
    store = make_store(session, test_city, 1.0, stock={"BAK-0001": (50, 4800)})
    campaign, _ = make_campaign(session, clock.now(), code="testville")  # 满30减10, 满100减30
    [(_, token)] = make_consumers(session, 1, clock.now())
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    claimed = client.post(f"/v1/campaigns/{campaign.id}/claim", json=HERE, headers=headers)
    assert claimed.status_code == 201, claimed.json
    body = {
        "items": [{"sku": "BAK-0001", "qty": 1}],
        "payment_method": "wechat",
        "store_id": store.id,
        **HERE,
    }
    quote = client.post("/v1/quote", json=body, headers=headers).json
    options = {o["threshold_fen"]: o for o in quote["coupons"]}
    assert options[3000]["saves_fen"] == 1000 and options[3000]["refusal"] is None
    assert options[10000]["saves_fen"] == 0 and options[10000]["refusal"] == "below_threshold"
    assert quote["next_threshold"] == {
        "coupon_id": options[10000]["coupon_id"],
        "add_fen": 10000 - 4800,
        "saves_fen": 3000,
    }
    assert quote["suggested_coupon"]["coupon_id"] == options[3000]["coupon_id"]
    two = client.post(
        "/v1/quote",
        headers=headers,
        json={
            **body,
            "items": [{"sku": "BAK-0001", "qty": 3}],
            "coupon_id": options[10000]["coupon_id"],
        },
    ).json
    assert two["coupon"]["discount_fen"] == 3000 and two["next_threshold"] is None
    assert {o["threshold_fen"]: o["saves_fen"] for o in two["coupons"]} == {3000: 1000, 10000: 3000}
