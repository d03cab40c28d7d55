"""A generated city for order benchmarks: N stores x M SKUs in a 15 km disc, cached.

Building 1M stock rows takes a while, so the seeded database is built once per schema
version and scale and kept: a SQLite file under the cache folder, a PostgreSQL template
database. Each run works on a fresh copy of it.
"""

import math
import os
import random
import shutil
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url

from service.catalog.models import Product
from service.cities.models import City
from service.db import Database, make_engine
from service.db.migrate import upgrade
from service.geo import KM_PER_DEGREE_LAT
from service.seed.files import read_json
from service.seed.loader import load_fixtures
from service.stores.models import Store
from tests.support.databases import pg_admin

CENTRE = (31.2304, 121.4737)
DISC_KM = 15.0
CATEGORIES = ("supermarket", "bakery", "pharmacy", "liquor", "beauty", "mother_baby")
GENERATOR_VERSION = 3  # 2: planner statistics (ANALYZE); 3: catalogue names, brand and spec


def cache_key(stores: int, skus: int) -> str:
    from tests.bench._common import schema_tag  # the whole migration chain, not only its head

    return f"orders_v{GENERATOR_VERSION}_{schema_tag()}_{stores}x{skus}"


def cached_copy(engine_kind: str, stores: int, skus: int, workdir: Path) -> str:
    """A fresh database URL holding the bench city (built and cached on first use)."""
    key = cache_key(stores, skus)
    if engine_kind == "sqlite":
        cached = _cache_dir() / f"{key}.sqlite3"
        if not cached.exists():
            _build_sqlite(cached, stores, skus)
        target = workdir / f"{uuid.uuid4().hex[:8]}.sqlite3"
        shutil.copyfile(cached, target)
        return f"sqlite:///{target}"
    base = os.environ["TEST_DATABASE_URL"]
    name = f"hdbench_{key}"
    with pg_admin(base) as admin:
        exists = admin.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists.first() is None:
            _build_postgres(admin, base, name, stores, skus)
        copy = f"hd_{uuid.uuid4().hex[:10]}"
        admin.execute(text(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"'))
    return make_url(base).set(database=copy).render_as_string(hide_password=False)


def each_engine(name: str, stores: int, skus: int, run) -> None:
    """emit(run(engine, url, workdir)) on a fresh copy of the bench city, per engine."""
    from tests.bench._common import emit, engines

    for engine in engines():
        workdir = Path(tempfile.mkdtemp(prefix=f"bench-{name}-{engine}-"))
        url = cached_copy(engine, stores, skus, workdir)
        try:
            emit(run(engine, url, workdir))
        finally:
            drop_copy(url)


def drop_copy(url: str) -> None:
    if url.startswith("sqlite"):
        Path(make_url(url).database).unlink(missing_ok=True)
        return
    with pg_admin(url) as admin:
        admin.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))


def _cache_dir() -> Path:
    folder = Path(os.environ.get("HD_BENCH_CACHE", Path.home() / ".cache" / "hourdelivery"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _build_sqlite(cached: Path, stores: int, skus: int) -> None:
    partial = cached.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    _populate(f"sqlite:///{partial}", stores, skus)
    Path(f"{partial}-writer").unlink(missing_ok=True)  # the writer queue's lock file
    os.replace(partial, cached)  # only a complete build is ever found in the cache


def _build_postgres(admin, base: str, name: str, stores: int, skus: int) -> None:
    partial = f"{name}_partial"[:63]
    admin.execute(text(f'DROP DATABASE IF EXISTS "{partial}" WITH (FORCE)'))
    admin.execute(text(f'CREATE DATABASE "{partial}"'))
    _populate(
        make_url(base).set(database=partial).render_as_string(hide_password=False), stores, skus
    )
    admin.execute(text(f'ALTER DATABASE "{partial}" RENAME TO "{name}"'))


def _populate(url: str, stores: int, skus: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    with Database(engine).unit_of_work() as session:
        load_fixtures(session=session, now=now)
        city = City(
            code="benchcity",
            name="基准市",
            name_en="Benchcity",
            center_lat=CENTRE[0],
            center_lon=CENTRE[1],
            service_radius_km=DISC_KM + 1,
        )
        session.add(city)
        session.flush()
        products = _products(session, skus)
        session.execute(insert(Store), list(_stores(city.id, stores)))
        store_ids = (
            session.execute(select(Store.id).where(Store.city_id == city.id)).scalars().all()
        )
    _stock(engine, city.id, store_ids, products)
    with engine.connect() as conn:  # the planner statistics a database in service would have
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    engine.dispose()


def catalogue_entries(category: str) -> list[list]:
    """[name, price, brand, spec] of the seed catalogue's products in `category`."""
    return read_json("catalog.json")[category]


def _products(session, skus: int) -> list[tuple[int, int]]:
    """SKUs named after the seed catalogue's products of each category (searchable words)."""
    rng = random.Random("bench-products")
    rows = []
    for n in range(1, skus + 1):
        category = CATEGORIES[n % len(CATEGORIES)]
        entries = catalogue_entries(category)
        name, _, brand, spec = entries[(n // len(CATEGORIES)) % len(entries)]
        rows.append(
            {
                "sku": f"BEN-{n:04d}",
                "name": f"{name} 款{n}",
                "barcode": f"69{n:011d}",
                "category": category,
                "brand": brand,
                "spec": spec,
            }
        )
    session.execute(insert(Product), rows)
    ids = session.execute(select(Product.id).where(Product.sku.like("BEN-%")).order_by(Product.sku))
    return [(product_id, rng.randrange(500, 30_000, 10)) for product_id in ids.scalars()]


DAYTIME = {day: [["07:00", "23:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def _stores(city_id: int, count: int):
    rng = random.Random("bench-stores")
    for n in range(count):
        lat, lon = point_in_disc(rng, DISC_KM)
        yield {
            "city_id": city_id,
            "chain": "基准连锁",
            "name": f"基准店 {n:05d}",
            "categories": list(CATEGORIES),
            "lat": lat,
            "lon": lon,
            "address": f"基准路{n}号",
            "opening_hours": {"24h": True} if rng.random() < 0.85 else DAYTIME,
            "delivery_radius_km": rng.choice([3.0, 4.0, 5.0]),
            "prep_minutes": rng.randint(5, 15),
            "min_basket_fen": rng.choice([0, 0, 1500, 3000]),
            "max_open_orders": 50,
            "active": True,
            "paused": False,
            "open_orders": 0,
            "adapter_kind": "fake",
            "adapter_settings": {},
            "sync_interval_s": 300,
        }


def point_in_disc(rng: random.Random, radius_km: float) -> tuple[float, float]:
    """A uniformly random point within `radius_km` of the bench city's centre."""
    r = radius_km * math.sqrt(rng.random())
    angle = rng.random() * 2 * math.pi
    lat = CENTRE[0] + r * math.cos(angle) / KM_PER_DEGREE_LAT
    lon = CENTRE[1] + r * math.sin(angle) / (KM_PER_DEGREE_LAT * math.cos(math.radians(CENTRE[0])))
    return lat, lon


def _stock(engine, city_id: int, store_ids: list[int], products: list[tuple[int, int]]) -> None:
    columns = "(city_id, store_id, product_id, on_hand, reserved, price_fen)"
    rows = ((city_id, s, p, 1000, 0, price) for s in store_ids for p, price in products)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY store_stock {columns} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.execute("BEGIN")
            cursor.executemany(f"INSERT INTO store_stock {columns} VALUES (?, ?, ?, ?, ?, ?)", rows)
        raw.commit() if engine.dialect.name == "postgresql" else cursor.execute("COMMIT")
    finally:
        raw.close()
