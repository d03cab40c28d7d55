"""The seed world loads completely, realistically and idempotently."""

from collections import Counter

import pytest
from sqlalchemy import func
from sqlmodel import SQLModel, select

import service.models as models
from service.campaigns.models import Batch, Campaign, Promotion
from service.catalog.models import Product
from service.cities.models import City
from service.geo import exact_km
from service.seed.loader import load_fixtures
from service.seed.skus import CatalogError, sku_codes
from service.stores.hours import is_open_24h
from service.stores.models import Store

CHANGSHA_CATEGORIES = {
    "supermarket",
    "phones_digital",
    "beauty",
    "mother_baby",
    "apparel_sports",
    "liquor",
    "restaurant",
    "bakery",
}


def row_counts(session) -> dict[str, int]:
    tables = [getattr(models, name) for name in models.__all__]
    return {
        t.__tablename__: session.exec(select(func.count()).select_from(t)).one()
        for t in tables
        if issubclass(t, SQLModel)
    }


def test_loading_fixtures_twice_duplicates_nothing(session, clock):
    before = row_counts(session)
    counts = load_fixtures(session=session, now=clock.now())
    session.flush()
    assert row_counts(session) == before
    assert counts["stores"] == 0  # all already there


def test_changsha_has_over_1200_stores_across_the_eight_categories(session):
    changsha = session.exec(select(City).where(City.code == "changsha")).one()
    stores = session.exec(select(Store).where(Store.city_id == changsha.id)).all()
    assert len(stores) >= 1200
    categories = Counter(c for s in stores for c in s.categories)
    assert set(categories) >= CHANGSHA_CATEGORIES
    assert sum(is_open_24h(s.opening_hours) for s in stores) > 0
    centre = (changsha.center_lat, changsha.center_lon)
    assert all(exact_km(centre, (s.lat, s.lon)) <= changsha.service_radius_km for s in stores)


def test_seed_campaigns_carry_the_real_names_and_are_open_now(session, clock):
    now = clock.now()
    names = set(session.exec(select(Campaign.name)))
    assert {
        "北京绿色节能消费券",
        "乐购深圳",
        "晋情消费 悦享生活 第二轮",
        "成都数字人民币消费券",
    } <= names
    beijing = session.exec(select(Campaign).where(Campaign.name == "北京绿色节能消费券")).one()
    assert beijing.starts_at <= now < beijing.ends_at
    open_batches = session.exec(
        select(Batch).where(
            Batch.campaign_id == beijing.id, Batch.claim_starts_at <= now, Batch.claim_ends_at > now
        )
    ).all()
    assert len(open_batches) == 1


def test_platform_promotion_and_hourly_drops_are_seeded(session):
    promotion = session.exec(select(Promotion)).one()
    assert (promotion.kind, promotion.threshold_fen, promotion.discount_fen) == (
        "every_threshold",
        29900,
        5000,
    )
    drops = session.exec(select(Campaign).where(Campaign.issuer == "platform")).all()
    assert drops and all(c.funding_platform_pct == 100 for c in drops)
    hours = {
        b.name.split()[-1]
        for b in session.exec(select(Batch).where(Batch.campaign_id == drops[0].id))
    }
    assert hours == {"20:00", "21:00", "22:00", "23:00"}


def test_each_citys_drop_campaign_is_named_for_its_city_and_listed_with_its_city_and_issuer(
    client, session, clock
):
    from tests.support.deliveries import make_operator

    drops = session.exec(
        select(Campaign).where(Campaign.issuer == "platform", Campaign.name.like("%惊喜券%"))
    ).all()
    assert len(drops) == len({c.name for c in drops}) == len({c.city_id for c in drops}) > 1
    operator = {"Authorization": f"Bearer {make_operator(session, clock.now())}"}
    session.commit()
    listed = client.get("/v1/admin/campaigns", headers=operator).json["campaigns"]
    shown = {c["name"]: c for c in listed}
    for campaign in drops:
        row = shown[campaign.name]
        assert row["city_name"] and row["city_name"] in campaign.name
        assert (row["issuer"], row["issuer_name"]) == ("platform", "京东小时购（平台）")
    city = next(c for c in listed if c["issuer"] == "city")
    assert city["city_code"] and city["issuer_name"].endswith("局")


def test_the_counts_fixtures_load_reports_are_the_rows_it_wrote(session, clock):
    counts = load_fixtures(session=session, now=clock.now())
    products = session.exec(select(Product.sku, Product.category, Product.name)).all()
    assert counts["products"] == len(products) == 70
    assert counts["cities"] == session.exec(select(func.count()).select_from(City)).one()
    prefixes = {sku.split("-")[0]: category for sku, category, _ in products}
    assert prefixes["APL"] == "appliances" and prefixes["APS"] == "apparel_sports"
    assert len(prefixes) == len({category for _, category, _ in products})
    gree = [category for _, category, name in products if name.startswith("格力")]
    assert set(gree) == {"appliances"}


def test_a_catalogue_whose_codes_collide_is_refused_not_merged():
    assert sku_codes({"supermarket": [1, 2], "phones_digital": [1]}) == {
        "supermarket": ["SUP-0001", "SUP-0002"],
        "phones_digital": ["PHO-0001"],
    }
    with pytest.raises(CatalogError, match="pharmacy and pharma_plus"):
        sku_codes({"pharmacy": [1], "pharma_plus": [1]})
