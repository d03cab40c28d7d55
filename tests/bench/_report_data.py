"""A campaign with N coupons and M orders for the report benchmark, built by set-based SQL, cached.

Rows are derived arithmetically from a number series (consumer i, pack k, coupon j, order o)
with INSERT ... SELECT, so 1,000,000 coupons take seconds, not a Python loop per row. The
result is consistent (counters, coupon rows, events and ledger agree), so the report must
come out reconciled.
"""

import os
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from service.campaigns.models import Batch, Campaign, CouponTemplate
from service.catalog.models import Product
from service.cities.models import City
from service.db import Database, make_engine
from service.db.migrate import upgrade
from service.stores.models import Store
from tests.bench._common import schema_tag
from tests.support.databases import pg_admin

VERSION = 5  # 2: covering report indexes; 3: orders.campaign_id; 4: payments and refunds;
# 5: each order's event chain
START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 30
BATCHES = 10
STORES = 50


def cached_url(engine_kind: str, coupons: int, orders: int) -> str:
    """A database holding the campaign (built on first use); the benchmark only reads it."""
    key = f"report_v{VERSION}_{schema_tag()}_{coupons}x{orders}"
    if engine_kind == "sqlite":
        folder = Path(os.environ.get("HD_BENCH_CACHE", Path.home() / ".cache" / "hourdelivery"))
        folder.mkdir(parents=True, exist_ok=True)
        cached = folder / f"{key}.sqlite3"
        if not cached.exists():
            partial = cached.with_suffix(".partial")
            partial.unlink(missing_ok=True)
            populate(f"sqlite:///{partial}", coupons, orders)
            Path(f"{partial}-writer").unlink(missing_ok=True)
            os.replace(partial, cached)
        return f"sqlite:///{cached}"
    base = os.environ["TEST_DATABASE_URL"]
    name = f"hdbench_{key}"
    with pg_admin(base) as admin:
        if (
            admin.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
            is None
        ):
            partial = f"{name}_partial"[:63]
            admin.execute(text(f'DROP DATABASE IF EXISTS "{partial}" WITH (FORCE)'))
            admin.execute(text(f'CREATE DATABASE "{partial}"'))
            populate(
                make_url(base).set(database=partial).render_as_string(hide_password=False),
                coupons,
                orders,
            )
            admin.execute(text(f'ALTER DATABASE "{partial}" RENAME TO "{name}"'))
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def populate(url: str, coupons: int, orders: int) -> None:
    """Schema, one city with stores, the campaign, then every row by INSERT ... SELECT."""
    engine = make_engine(url)
    upgrade(engine)
    ids = _world(engine, coupons, orders)
    pg = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        for statement in _statements(pg, coupons, orders, ids):
            conn.exec_driver_sql(statement.replace("%", "%%") if pg else statement)
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    engine.dispose()


def _world(engine, coupons: int, orders: int) -> dict:
    packs = coupons // 2
    cancelled = len(range(0, orders, 20))
    with Database(engine).unit_of_work() as session:
        city = City(
            code="reportcity",
            name="报表市",
            name_en="Reportcity",
            center_lat=31.2,
            center_lon=121.5,
            service_radius_km=20,
        )
        session.add(city)
        session.flush()
        product = Product(sku="RPT-0001", name="报表商品", category="supermarket")
        session.add(product)
        for n in range(STORES):
            session.add(
                Store(
                    city_id=city.id,
                    chain=f"连锁{n % 5}",
                    name=f"报表店{n}",
                    categories=["supermarket"],
                    lat=31.2 + n / 1000,
                    lon=121.5,
                    address="报表路",
                )
            )
        campaign = Campaign(
            city_id=city.id,
            issuer="city",
            issuer_name="报表商务局",
            name="百万券",
            budget_fen=10**13,
            issued_fen=packs * 1300,
            redeemed_fen=(orders - cancelled) * 1000,
            funding_government_pct=70,
            funding_platform_pct=20,
            funding_merchant_pct=10,
            starts_at=START,
            ends_at=START.replace(day=START.day + DAYS - 1),
        )
        session.add(campaign)
        session.flush()
        per_batch = -(-packs // BATCHES)
        batches = [
            Batch(
                campaign_id=campaign.id,
                city_id=city.id,
                name=f"第{b + 1}批",
                claim_starts_at=START,
                claim_ends_at=campaign.ends_at,
                pack_quota=per_batch,
                packs_claimed=len(range(b * per_batch, min(packs, (b + 1) * per_batch))),
            )
            for b in range(BATCHES)
        ]
        templates = [
            CouponTemplate(
                campaign_id=campaign.id,
                city_id=city.id,
                name=name,
                threshold_fen=threshold,
                discount_fen=discount,
            )
            for name, threshold, discount in (("满50减10", 5000, 1000), ("无门槛3元", 0, 300))
        ]
        session.add_all([*batches, *templates])
        session.flush()
        store = (
            session.query(Store.id).filter(Store.city_id == city.id).order_by(Store.id).first()[0]
        )
        return {
            "city": city.id,
            "campaign": campaign.id,
            "batch": batches[0].id,
            "t1000": templates[0].id,
            "t300": templates[1].id,
            "store": store,
            "product": product.id,
            "per_batch": per_batch,
            "consumers": per_batch,
        }


def _statements(pg: bool, coupons: int, orders: int, ids: dict) -> list[str]:
    def series(count: int) -> str:
        if pg:
            return f"(SELECT generate_series(CAST(0 AS BIGINT), {count - 1}) AS n) s"
        return (
            f"(WITH RECURSIVE r(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM r "
            f"WHERE n < {count - 1}) SELECT n FROM r) s"
        )

    def at(seconds: str) -> str:
        if pg:
            return f"(TIMESTAMPTZ '{START.isoformat()}' + ({seconds}) * INTERVAL '1 second')"
        shifted = f"datetime('{START:%Y-%m-%d %H:%M:%S}', '+' || ({seconds}) || ' seconds')"
        return f"({shifted} || '.000000')"

    json = (lambda v: f"'{v}'::json") if pg else (lambda v: f"'{v}'")
    packs, c, span = coupons // 2, ids["consumers"], DAYS * 86400 - 7200
    claimed = f"(k * {span} / {packs})"  # pack k's claim second
    placed = f"((o * 2 / 2) * {span} / {packs} + 3600)"  # order o uses pack o (coupon 2o)
    city, campaign = ids["city"], ids["campaign"]
    reason = json('{"reason": "consumer"}')
    return [
        f"INSERT INTO consumers (id, name, phone, created_at) SELECT 1000000 + n, 'c' || n, "
        f"'rpt' || n, {at('0')} FROM {series(c)}",
        "INSERT INTO pack_claims (id, consumer_id, batch_id, campaign_id, city_id, "
        f"face_value_fen, claimed_at) SELECT 1 + k, 1000000 + k % {c}, "
        f"{ids['batch']} + k / {ids['per_batch']}, "
        f"{campaign}, {city}, 1300, {at(claimed)} FROM (SELECT n AS k FROM {series(packs)}) p",
        f"INSERT INTO coupons (id, city_id, consumer_id, campaign_id, batch_id, template_id, "
        f"pack_claim_id, status, threshold_fen, discount_fen, valid_from, valid_until, claimed_at) "
        f"SELECT 1 + j, {city}, 1000000 + (j / 2) % {c}, {campaign}, "
        f"{ids['batch']} + (j / 2) / {ids['per_batch']}, "
        f"CASE WHEN j % 2 = 0 THEN {ids['t1000']} ELSE {ids['t300']} END, 1 + j / 2, "
        f"CASE WHEN j % 2 = 0 AND j / 2 < {orders} AND (j / 2) % 20 <> 0 THEN 'REDEEMED' "
        f"WHEN j % 10 = 1 THEN 'EXPIRED' ELSE 'AVAILABLE' END, "
        f"CASE WHEN j % 2 = 0 THEN 5000 ELSE 0 END, CASE WHEN j % 2 = 0 THEN 1000 ELSE 300 END, "
        f"{at('(j / 2) * ' + str(span) + ' / ' + str(packs))}, "
        f"{at('(j / 2) * ' + str(span) + ' / ' + str(packs) + ' + 3 * 86400')}, "
        f"{at('(j / 2) * ' + str(span) + ' / ' + str(packs))} "
        f"FROM (SELECT n AS j FROM {series(coupons)}) q",
        f"INSERT INTO orders (id, city_id, consumer_id, store_id, status, payment_method, address, "
        f"lat, lon, subtotal_fen, promotion_fen, coupon_fen, delivery_fee_fen, payable_fen, "
        f"coupon_id, campaign_id, handoff_code, tried_store_ids, cancel_reason, placed_at, "
        f"promised_at, eta_at, updated_at) SELECT 1 + o, {city}, 1000000 + o % {c}, "
        f"{ids['store']} + o % {STORES}, "
        f"CASE WHEN o % 20 = 0 THEN 'CANCELLED' ELSE 'DELIVERED' END, 'wechat', '报表路', 31.2, "
        f"121.5, 5000 + (o % 50) * 100, 0, 1000, 0, 4000 + (o % 50) * 100, 1 + 2 * o, "
        f"{campaign}, '0000', "
        f"{json('[]')}, CASE WHEN o % 20 = 0 THEN 'consumer' END, {at(placed)}, "
        f"{at(placed + ' + 3600')}, {at(placed + ' + 1800')}, {at(placed)} "
        f"FROM (SELECT n AS o FROM {series(orders)}) x",
        f"INSERT INTO order_lines (order_id, city_id, product_id, sku, name, category, qty, "
        f"unit_price_fen, amount_fen, promotion_share_fen, coupon_share_fen) SELECT id, city_id, "
        f"{ids['product']}, 'RPT-0001', '报表商品', 'supermarket', 1, subtotal_fen, subtotal_fen, "
        f"0, coupon_fen FROM orders WHERE city_id = {city}",
        f"INSERT INTO coupon_events (coupon_id, city_id, kind, order_id, at) SELECT coupon_id, "
        f"city_id, 'redeemed', id, placed_at FROM orders WHERE city_id = {city}",
        "INSERT INTO coupon_events (coupon_id, city_id, kind, order_id, at) SELECT coupon_id, "
        "city_id, 'released', id, updated_at FROM orders WHERE status = 'CANCELLED'",
        *_chains(json),
        f"INSERT INTO order_events (order_id, city_id, store_id, kind, from_status, to_status, "
        f"actor_role, data, at) SELECT id, city_id, store_id, 'cancelled', 'PLACED', 'CANCELLED', "
        f"'consumer', {reason}, updated_at FROM orders "
        f"WHERE status = 'CANCELLED'",
        f"INSERT INTO ledger_entries (order_id, city_id, kind, amount_fen, note, at) SELECT id, "
        f"city_id, 'charge', payable_fen, '', placed_at FROM orders WHERE city_id = {city}",
        "INSERT INTO ledger_entries (order_id, city_id, kind, amount_fen, note, at) SELECT id, "
        "city_id, 'refund', payable_fen, 'cancelled', updated_at FROM orders "
        "WHERE status = 'CANCELLED'",
        # Money moves through a provider (DESIGN s9): each order paid once, each cancel refunded.
        "INSERT INTO payments (id, city_id, order_id, consumer_id, provider, account, method, "
        "out_trade_no, amount_fen, status, client_params, provider_trade_no, pay_by, created_at, "
        f"paid_at) SELECT id, city_id, id, consumer_id, 'sandbox', 'sandbox', 'wechat', "
        f"'rpt' || id, payable_fen, 'PAID', {json('{}')}, 'rpt' || id, placed_at, placed_at, "
        f"placed_at FROM orders WHERE city_id = {city}",
        "INSERT INTO refunds (city_id, order_id, payment_id, out_refund_no, amount_fen, reason, "
        "status, failure, attempts, requested_at, finished_at) SELECT city_id, id, id, "
        "'rptr' || id, payable_fen, 'cancelled', 'SUCCEEDED', '', 1, updated_at, updated_at "
        "FROM orders WHERE status = 'CANCELLED'",
    ]


# Each order's life as its events tell it (check money follows the chain): paid, then the
# delivered ones on through the store and the courier; a cancel follows its placed step.
STEPS = [
    ("placed", "AWAITING_PAYMENT", "PLACED", "consumer", "1=1"),
    ("accepted", "PLACED", "ACCEPTED", "store", "status = 'DELIVERED'"),
    ("ready", "ACCEPTED", "READY", "store", "status = 'DELIVERED'"),
    ("picked_up", "READY", "PICKED_UP", "courier", "status = 'DELIVERED'"),
    ("delivered", "PICKED_UP", "DELIVERED", "courier", "status = 'DELIVERED'"),
]


def _chains(json) -> list[str]:
    """One INSERT per step, in the order the steps happen (event ids follow the chain)."""
    return [
        "INSERT INTO order_events (order_id, city_id, store_id, kind, from_status, to_status, "
        f"actor_role, data, at) SELECT id, city_id, store_id, '{kind}', '{before}', '{after}', "
        f"'{role}', {json('{}')}, placed_at FROM orders WHERE {where}"
        for kind, before, after, role, where in STEPS
    ]
