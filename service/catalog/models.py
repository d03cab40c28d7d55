"""Catalogue products and the stock each store holds of them."""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime


class ProductBase(SQLModel):
    sku: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=128)
    category: str = Field(max_length=32, index=True)
    # Searchable with the name (service/catalog/search.py); empty when the catalogue has none.
    brand: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    spec: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    barcode: str | None = Field(default=None, max_length=32)
    # Category names and generic words of its kind (service/catalog/keywords.py), indexed
    # with the name so 手机 finds a 小米14.
    keywords: str = Field(default="", max_length=512, sa_column_kwargs={"server_default": ""})


class Product(ProductBase, table=True):
    __tablename__ = "products"

    id: int | None = Field(default=None, primary_key=True)


class StoreStock(SQLModel, table=True):
    """Available = max(0, on_hand - reserved). Sync writes on_hand/price; orders write reserved.

    Writers lock the store row before its stock rows (see service.orders.stock)."""

    __tablename__ = "store_stock"
    __table_args__ = (
        Index("uq_store_stock_store_product", "store_id", "product_id", unique=True),
        Index("ix_store_stock_city_product", "city_id", "product_id"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("price_fen >= 0", name="price_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    city_id: int = Field(foreign_key="cities.id")
    store_id: int = Field(foreign_key="stores.id")
    product_id: int = Field(foreign_key="products.id")
    on_hand: int = 0
    reserved: int = 0
    price_fen: int = Field(sa_type=BigInteger)
    synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Staff marked it unavailable: no new orders take it until then (a sync never lifts it).
    unavailable_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
