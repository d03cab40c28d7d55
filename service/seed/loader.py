"""Load the seed world. Idempotent: every row is found by its natural key before it is added."""

import zlib
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlmodel import Session, SQLModel, select

from service.auth.phones import normalise_phone
from service.campaigns.models import Promotion
from service.catalog.keywords import keywords_for
from service.catalog.models import Product, StoreStock
from service.cities.models import City
from service.people.models import Consumer, Courier, Operator
from service.places.models import Place
from service.seed.campaigns import load_campaigns
from service.seed.demo import make_demo_store_tablet
from service.seed.files import fixtures_dir, read_json
from service.seed.skus import sku_codes
from service.seed.stores_gen import generate_stock, generate_stores
from service.stores.models import Store


def get_or_add(session: Session, model: type[SQLModel], key: dict, **values) -> SQLModel:
    """The row of `model` matching `key`, created with `values` if there is none."""
    row = session.exec(select(model).filter_by(**key)).first()
    if row is None:
        row = model(**key, **values)
        session.add(row)
        session.flush()
    return row


def load_fixtures(*, session: Session, now: datetime, scale: int = 1) -> dict[str, int]:
    """Load cities, catalogue, stores and stock, people, promotions and campaigns."""
    anchor = now.replace(minute=0, second=0, microsecond=0)
    cities = _load_cities(session)
    _load_places(session, cities)
    products = _load_catalog(session)
    stores = _load_stores(session, cities, products, scale)
    _attach_feeds(session, cities)
    if stores:  # only on the first load: a later one must not undo an operator's choice
        make_demo_store_tablet(session=session)
    _load_people(session, cities, anchor)
    _load_promotions(session, cities, anchor)
    campaigns = load_campaigns(session=session, cities=cities, anchor=anchor, get_or_add=get_or_add)
    return {
        "cities": len(cities),
        "products": sum(map(len, products.values())),
        "stores": stores,
        "campaigns": campaigns,
    }


def _load_cities(session: Session) -> dict[str, City]:
    cities = {}
    for spec in read_json("cities.json"):
        lat, lon = spec["center"]
        cities[spec["code"]] = get_or_add(
            session,
            City,
            {"code": spec["code"]},
            name=spec["name"],
            name_en=spec["name_en"],
            center_lat=lat,
            center_lon=lon,
            service_radius_km=spec["service_radius_km"],
        )
    return cities


def _load_catalog(session: Session) -> dict[str, list[tuple[int, int]]]:
    """Products by category, as (product id, base price) pairs."""
    by_category: dict[str, list[tuple[int, int]]] = {}
    catalog = read_json("catalog.json")
    terms = read_json("search_terms.json")
    codes = sku_codes(catalog)
    for category, items in catalog.items():
        for sku, (name, price_fen, *brand_spec) in zip(codes[category], items, strict=True):
            brand, spec = (*brand_spec, "", "")[:2]
            barcode = f"69{zlib.crc32(sku.encode()) % 10**11:011d}"
            product = get_or_add(
                session,
                Product,
                {"sku": sku},
                name=name,
                category=category,
                barcode=barcode,
                brand=brand,
                spec=spec,
            )
            # The catalogue's own words: set on every load, so a changed table takes effect.
            product.keywords = keywords_for(
                terms, category=category, name=name, brand=brand, spec=spec
            )
            by_category.setdefault(category, []).append((product.id, price_fen))
    return by_category


def _load_places(session: Session, cities: dict[str, City]) -> None:
    """The gazetteer: each city's districts, streets and landmarks (new names only)."""
    known = {(c, n) for c, n in session.execute(select(Place.city_id, Place.name)).all()}
    rows = []
    for code, entry in read_json("places.json").items():
        if code not in cities:
            continue
        city_id = cities[code].id
        places = [(n, "district", n, lat, lon) for n, lat, lon in entry["districts"]]
        for name, kind, district, lat, lon in [*places, *entry["places"]]:
            if (city_id, name) not in known:
                known.add((city_id, name))
                rows.append(
                    {
                        "city_id": city_id,
                        "name": name,
                        "kind": kind,
                        "district": district,
                        "lat": lat,
                        "lon": lon,
                    }
                )
    if rows:
        session.execute(insert(Place), rows)


def _load_stores(session: Session, cities: dict[str, City], products: dict, scale: int) -> int:
    chains = read_json("chains.json")
    added = 0
    for spec in read_json("cities.json"):
        city = cities[spec["code"]]
        existing = set(session.exec(select(Store.name).where(Store.city_id == city.id)))
        rows = generate_stores(city, spec["districts"], spec["stores"] * scale, chains)
        new = [Store(**row) for row in rows if row["name"] not in existing]
        session.add_all(new)
        session.flush()
        stock = []
        for store in new:
            offered = [p for c in store.categories for p in products.get(c, [])]
            stock += generate_stock(store.id, city.id, offered, seed=f"{city.code}:{store.name}")
        if stock:
            session.execute(insert(StoreStock), stock)
        added += len(new)
    return added


def _attach_feeds(session: Session, cities: dict[str, City]) -> None:
    """A few stores read their stock from the sample CSV feeds, so the scheduler has work."""
    for spec in read_json("feeds.json"):
        stores = session.exec(
            select(Store).where(Store.city_id == cities[spec["city"]].id).order_by(Store.id)
        ).all()
        store = next(s for s in stores if s.categories == [spec["category"]])
        store.adapter_kind = "csv"
        store.adapter_settings = {"path": str(fixtures_dir() / "feeds" / spec["file"])}
        store.sync_interval_s = spec["interval_s"]
        session.add(store)


def _load_people(session: Session, cities: dict[str, City], now: datetime) -> None:
    people = read_json("people.json")
    # The demo people's numbers count as verified: they sign in with codes from the sink.
    for name, phone, city in people["consumers"]:
        get_or_add(
            session,
            Consumer,
            {"phone": normalise_phone(phone)},
            name=name,
            home_city_id=cities[city].id,
            created_at=now,
            phone_verified_at=now,
        )
    for name, phone, city in people["couriers"]:
        c = cities[city]
        get_or_add(
            session,
            Courier,
            {"phone": normalise_phone(phone)},
            name=name,
            city_id=c.id,
            last_lat=c.center_lat,
            last_lon=c.center_lon,
            phone_verified_at=now,
        )
    for name, city in people["operators"]:
        get_or_add(session, Operator, {"name": name}, city_id=cities[city].id if city else None)


def _load_promotions(session: Session, cities: dict[str, City], anchor: datetime) -> None:
    for spec in read_json("campaigns.json")["promotions"]:
        get_or_add(
            session,
            Promotion,
            {"name": spec["name"]},
            kind=spec["kind"],
            threshold_fen=spec["threshold_fen"],
            discount_fen=spec["discount_fen"],
            cap_fen=spec["cap_fen"],
            categories=spec["categories"],
            city_id=cities[spec["city"]].id if spec["city"] else None,
            starts_at=anchor + timedelta(days=spec["start_days"]),
            ends_at=anchor + timedelta(days=spec["end_days"]),
        )
