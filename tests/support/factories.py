"""Building test data directly in a database: campaigns, consumers with tokens."""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlmodel import Session

from service.auth.models import ApiToken
from service.campaigns.claims import claim_pack
from service.campaigns.models import Batch, Campaign, CouponTemplate
from service.cities.models import City
from service.people.models import Consumer

CHANGSHA_POINT = {"lat": 28.195, "lon": 112.976}


def city(session: Session, code: str = "changsha") -> City:
    return session.execute(select(City).where(City.code == code)).scalar_one()


def make_campaign(
    session: Session,
    now: datetime,
    *,
    code: str = "changsha",
    quota: int = 100,
    budget_fen: int = 10**9,
    pack=((3000, 1000, 1), (10000, 3000, 1)),
    batch_opens: timedelta = timedelta(hours=-1),
    batch_closes: timedelta = timedelta(days=2),
    **fields,
) -> tuple[Campaign, Batch]:
    """A campaign of `code` with one batch and a pack of (threshold, discount, quantity)."""
    target = city(session, code)
    campaign = Campaign(
        city_id=target.id,
        issuer="city",
        issuer_name="测试商务局",
        name=fields.pop("name", f"测试券 {secrets.token_hex(4)}"),
        budget_fen=budget_fen,
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=10),
        **fields,
    )
    session.add(campaign)
    session.flush()
    batch = Batch(
        campaign_id=campaign.id,
        city_id=target.id,
        name="第一批",
        pack_quota=quota,
        claim_starts_at=now + batch_opens,
        claim_ends_at=now + batch_closes,
    )
    session.add(batch)
    for n, (threshold, discount, quantity) in enumerate(pack, start=1):
        session.add(
            CouponTemplate(
                campaign_id=campaign.id,
                city_id=target.id,
                name=f"t{n}",
                threshold_fen=threshold,
                discount_fen=discount,
                quantity=quantity,
            )
        )
    session.flush()
    return campaign, batch


def claimed_coupon_id(
    session: Session, consumer_id: int, campaign_id: int, now: datetime, *, lat: float, lon: float
) -> int:
    """The first coupon of the pack the consumer claims from the campaign at (lat, lon)."""
    claimed = claim_pack(
        session=session,
        consumer_id=consumer_id,
        campaign_id=campaign_id,
        lat=lat,
        lon=lon,
        now=now,
    )
    return claimed.coupons[0].id


def make_consumers(session: Session, count: int, now: datetime) -> list[tuple[int, str]]:
    """`count` consumers, each with a bearer token: [(consumer id, token)]."""
    base = secrets.randbelow(10**9 - count)  # verified mainland numbers, +8619…
    rows = [
        {
            "name": f"c{n}",
            "phone": f"+8619{base + n:09d}",
            "created_at": now,
            "phone_verified_at": now,
        }
        for n in range(count)
    ]
    ids = session.execute(insert(Consumer).returning(Consumer.id), rows).scalars().all()
    tokens = [f"hd_{secrets.token_urlsafe(32)}" for _ in ids]
    session.execute(
        insert(ApiToken),
        [
            {
                "token_hash": hashlib.sha256(t.encode()).hexdigest(),
                "role": "consumer",
                "principal_id": cid,
                "label": "test",
                "created_at": now,
            }
            for cid, t in zip(ids, tokens, strict=True)
        ],
    )
    return list(zip(ids, tokens, strict=True))


def store_selling(session: Session, code: str, category: str, *, min_price_fen: int = 0):
    """A store of `code` in `category` with its stocked SKUs [(sku, price_fen)], priciest first."""
    from service.catalog.models import Product, StoreStock
    from service.stores.models import Store

    stores = session.execute(
        select(Store).where(Store.city_id == city(session, code).id).order_by(Store.id)
    ).scalars()
    for store in stores:
        if category not in store.categories:
            continue
        skus = session.execute(
            select(Product.sku, StoreStock.price_fen)
            .join(StoreStock, StoreStock.product_id == Product.id)
            .where(StoreStock.store_id == store.id, StoreStock.price_fen >= min_price_fen)
            .order_by(StoreStock.price_fen.desc())
        ).all()
        if skus:
            return store, [tuple(row) for row in skus]
    raise LookupError(f"no {category} store in {code}")


TEST_CENTRE = (30.0, 120.0)  # an empty test city, far from the seed world's cities


def make_city(session: Session, code: str = "testville", **fields) -> City:
    """An empty city around TEST_CENTRE, for tests that need full control of its stores."""
    test_city = City(
        code=code,
        name="测试市",
        name_en="Testville",
        center_lat=TEST_CENTRE[0],
        center_lon=TEST_CENTRE[1],
        service_radius_km=30,
        **fields,
    )
    session.add(test_city)
    session.flush()
    return test_city


def make_store(
    session: Session,
    test_city: City,
    north_km: float,
    east_km: float = 0.0,
    stock: dict | None = None,
    **fields,
):
    """A 24 h bakery `north_km` north of the centre with `stock` {sku: (on_hand, price_fen)}."""
    import math

    from service.catalog.models import Product, StoreStock
    from service.geo import KM_PER_DEGREE_LAT
    from service.stores.models import Store

    lat = test_city.center_lat + north_km / KM_PER_DEGREE_LAT
    lon = test_city.center_lon + east_km / (KM_PER_DEGREE_LAT * math.cos(math.radians(lat)))
    defaults = {
        "chain": "测试烘焙",
        "name": f"测试店 {secrets.token_hex(3)}",
        "categories": ["bakery"],
        "address": "测试路1号",
        "opening_hours": {"24h": True},
        "delivery_radius_km": 5.0,
        "prep_minutes": 10,
        "min_basket_fen": 0,
        "max_open_orders": 20,
    }
    store = Store(city_id=test_city.id, lat=lat, lon=lon, **{**defaults, **fields})
    session.add(store)
    session.flush()
    for sku, (on_hand, price) in (stock or {"BAK-0001": (50, 4800)}).items():
        product_id = session.execute(select(Product.id).where(Product.sku == sku)).scalar_one()
        session.add(
            StoreStock(
                city_id=test_city.id,
                store_id=store.id,
                product_id=product_id,
                on_hand=on_hand,
                price_fen=price,
            )
        )
    session.flush()
    return store
