"""Partner stores: where they are, when they are open, how far they deliver."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer
from sqlmodel import Field, SQLModel

from service.cities.schemas import PointIn
from service.db import UTCDateTime


class StoreBase(SQLModel):
    city_id: int = Field(foreign_key="cities.id")
    chain: str = Field(max_length=64)
    name: str = Field(max_length=128)
    categories: list[str] = Field(default_factory=list, sa_type=JSON)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    address: str = Field(max_length=256)
    # {"24h": true} or {"mon": [["08:00", "22:00"]], ...}; see service.stores.hours.
    opening_hours: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    delivery_radius_km: float = Field(default=3.0, gt=0)
    prep_minutes: int = Field(default=10, ge=0)
    min_basket_fen: int = Field(sa_type=BigInteger, default=0, ge=0)
    max_open_orders: int = Field(default=20, gt=0)
    active: bool = True
    paused: bool = False


class Store(StoreBase, table=True):
    __tablename__ = "stores"
    __table_args__ = (
        # The matching prefilter: a bounding box inside one city.
        Index("ix_stores_city_lat_lon", "city_id", "lat", "lon"),
        Index("uq_stores_city_name", "city_id", "name", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    open_orders: int = Field(default=0, ge=0)
    # The store's order numbers restart each city-local day (service/orders/numbers.py).
    number_day: date | None = None
    last_number: int = Field(default=0, ge=0)
    # `manual`: stock kept by hand, never polled, never stale (store_adapters entry points).
    adapter_kind: str = Field(default="manual", max_length=32)
    adapter_settings: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # secrets too
    sync_interval_s: int = Field(default=300, gt=0)
    last_polled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Matching skips the store from this moment until a sync succeeds; NULL: never stale.
    stock_fresh_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sync_cursor: str | None = Field(default=None, max_length=256)  # where a delta feed resumes
    sync_failures: int = 0  # consecutive failed runs: the scheduler's backoff exponent
    sync_retry_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # tablet: staff accept each order; auto_accept: ACCEPTED at once (an integrated till).
    intake_mode: str = Field(
        default="auto_accept", max_length=16, sa_column_kwargs={"server_default": "auto_accept"}
    )
    accept_timeout_s: int = Field(default=180, gt=0, sa_column_kwargs={"server_default": "180"})
    # Set when the store was paused for missing acceptance deadlines; cleared on resume.
    flagged_reason: str | None = Field(default=None, max_length=64)
    # Moved by database triggers with every write to this store's stock rows (migration 0012):
    # product search's in-memory shelves re-read a store whose version moved.
    # BIGINT (migration 0017): a busy store's stock moves it with every sale and sync. SQLite's
    # INTEGER holds 8 bytes already.
    stock_version: int = Field(
        default=0,
        sa_type=BigInteger().with_variant(Integer, "sqlite"),
        sa_column_kwargs={"server_default": "0"},
    )


class NearbyQuery(PointIn):
    radius_km: float = Field(default=3.0, gt=0, le=20)
    category: str | None = Field(default=None, max_length=32)
    open: bool = False
    limit: int = Field(default=20, ge=1, le=100)


class NearbyStoreRead(SQLModel):
    id: int
    name: str
    chain: str
    categories: list[str]
    address: str
    lat: float
    lon: float
    distance_km: float
    open_now: bool
    open_24h: bool
    delivery_radius_km: float
    prep_minutes: int
    min_basket_fen: int = Field(sa_type=BigInteger)


class NearbyStoresRead(SQLModel):
    city: str
    stores: list[NearbyStoreRead]


class StoreCampaignRead(SQLModel):
    id: int
    name: str
    issuer_name: str
    categories: list[str]


class StorePageRead(SQLModel):
    """What the shop page shows about one store; hours are in the city's zone."""

    id: int
    name: str
    chain: str
    address: str
    lat: float
    lon: float
    categories: list[str]
    timezone: str
    opening_hours: dict[str, Any]
    open_now: bool
    next_opening: datetime | None
    taking_orders: bool  # not paused and under its open-order cap
    delivery_radius_km: float
    prep_minutes: int
    min_basket_fen: int
    delivery_fee_fen: int
    free_delivery_from_fen: int
    campaigns: list[StoreCampaignRead]


class MenuQuery(SQLModel):
    category: str | None = Field(default=None, max_length=32)
    q: str | None = Field(default=None, max_length=64)


class MenuItemRead(SQLModel):
    sku: str
    name: str
    brand: str
    spec: str
    category: str
    price_fen: int
    availability: str  # in / low / out: never a count


class MenuRead(SQLModel):
    store_id: int
    items: list[MenuItemRead]
