"""One store as the shop page shows it: hours, terms, campaigns, and its menu."""

from datetime import datetime

from sqlalchemy import or_, select
from sqlmodel import Session, col

from service.campaigns.models import Campaign, CampaignStore
from service.catalog.models import Product, StoreStock
from service.catalog.nearby import availability
from service.catalog.search import normalised, text_matches
from service.cities.service import cached_city, city_zone
from service.errors import NotFound
from service.orders.matching import AVAILABLE
from service.stores.hours import is_open, next_opening
from service.stores.models import MenuItemRead, MenuRead, Store, StoreCampaignRead, StorePageRead

MENU = (
    select(
        Product.sku,
        Product.name,
        Product.brand,
        Product.spec,
        Product.category,
        StoreStock.price_fen,
        AVAILABLE,
    )  # a SKU marked unavailable shows as out
    .join(Product, col(Product.id) == col(StoreStock.product_id))
    .order_by(Product.category, Product.sku)
)


def store_page(*, session: Session, store_id: int, now: datetime) -> StorePageRead:
    """The store's hours (city-local), whether it is open, its delivery terms and campaigns."""
    store = _store(session, store_id)
    city = cached_city(session, store.city_id)
    local_now = now.astimezone(city_zone(city))
    return StorePageRead(
        **store.model_dump(
            include={
                "id",
                "name",
                "chain",
                "address",
                "lat",
                "lon",
                "categories",
                "opening_hours",
                "delivery_radius_km",
                "prep_minutes",
                "min_basket_fen",
            }
        ),
        timezone=city.timezone,
        open_now=is_open(store.opening_hours, local_now),
        next_opening=next_opening(store.opening_hours, local_now),
        taking_orders=not store.paused and store.open_orders < store.max_open_orders,
        delivery_fee_fen=city.delivery_fee_fen,
        free_delivery_from_fen=city.free_delivery_from_fen,
        campaigns=_campaigns(session, store, now),
    )


def store_menu(
    *, session: Session, store_id: int, category: str | None, q: str | None, now: datetime
) -> MenuRead:
    """The store's products with price and availability (in / low / out)."""
    store = _store(session, store_id)
    query = MENU.where(col(StoreStock.store_id) == store.id)
    if category:
        query = query.where(col(Product.category) == category)
    if normalised(q):
        query = query.where(text_matches(session, normalised(q)))
    items = [
        MenuItemRead(
            sku=row[0],
            name=row[1],
            brand=row[2],
            spec=row[3],
            category=row[4],
            price_fen=row[5],
            availability=availability(row[6]),
        )
        for row in session.execute(query, {"stock_now": now})
    ]
    return MenuRead(store_id=store.id, items=items)


def _store(session: Session, store_id: int) -> Store:
    store = session.get(Store, store_id)
    if store is None or not store.active:
        raise NotFound(f"no store {store_id}", field="store_id")
    return store


def _campaigns(session: Session, store: Store, now: datetime) -> list[StoreCampaignRead]:
    members = select(CampaignStore.campaign_id).where(col(CampaignStore.store_id) == store.id)
    rows = session.execute(
        select(Campaign)
        .where(
            col(Campaign.city_id) == store.city_id,
            ~col(Campaign.paused),
            col(Campaign.starts_at) <= now,
            col(Campaign.ends_at) > now,
            or_(col(Campaign.all_stores), col(Campaign.id).in_(members)),
        )
        .order_by(Campaign.id)
    ).scalars()
    return [
        StoreCampaignRead(**c.model_dump(include={"id", "name", "issuer_name", "categories"}))
        for c in rows
    ]
