"""Orders and everything recorded about them (the deliveries live in service/deliveries)."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_consumer_id", "consumer_id", "id"),
        Index("ix_orders_store_status", "store_id", "status"),
        Index("ix_orders_city_status_placed", "city_id", "status", "placed_at"),
        Index("ix_orders_coupon_id", "coupon_id"),
        Index("ix_orders_campaign_placed", "campaign_id", "placed_at"),  # reports
    )

    id: int | None = Field(default=None, primary_key=True)
    city_id: int = Field(foreign_key="cities.id")
    consumer_id: int = Field(foreign_key="consumers.id")
    store_id: int = Field(foreign_key="stores.id")
    status: str = Field(default="PLACED", max_length=16)
    payment_method: str = Field(max_length=32)
    address: str = Field(max_length=256)
    lat: float
    lon: float
    subtotal_fen: int = Field(sa_type=BigInteger)
    promotion_fen: int = Field(default=0, sa_type=BigInteger)
    coupon_fen: int = Field(default=0, sa_type=BigInteger)
    delivery_fee_fen: int = Field(default=0, sa_type=BigInteger)
    payable_fen: int = Field(sa_type=BigInteger)
    promotion_id: int | None = Field(default=None, foreign_key="promotions.id")
    coupon_id: int | None = Field(default=None, foreign_key="coupons.id")
    # The coupon's campaign, written at placement: reports find a campaign's orders by it
    # without joining its coupons (an order's coupon never changes).
    campaign_id: int | None = Field(default=None, foreign_key="campaigns.id")
    handoff_code: str = Field(max_length=4)
    # Its number at its store that city-local day (1, 2, 3...), what staff and courier say.
    store_number: int | None = None
    tried_store_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    cancel_reason: str | None = Field(default=None, max_length=64)
    placed_at: datetime = Field(sa_type=UTCDateTime)
    promised_at: datetime = Field(sa_type=UTCDateTime)
    eta_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_lines"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    city_id: int = Field(foreign_key="cities.id")
    product_id: int = Field(foreign_key="products.id")
    sku: str = Field(max_length=32)
    name: str = Field(max_length=128)
    category: str = Field(max_length=32)
    qty: int = Field(gt=0)
    picked_qty: int | None = None
    unit_price_fen: int = Field(sa_type=BigInteger)
    amount_fen: int = Field(sa_type=BigInteger)
    promotion_share_fen: int = Field(default=0, sa_type=BigInteger)
    coupon_share_fen: int = Field(default=0, sa_type=BigInteger)


class OrderEvent(SQLModel, table=True):
    """Append-only: the tracking timeline and, by (store_id, id), the store tablet's feed."""

    __tablename__ = "order_events"
    __table_args__ = (
        Index("ix_order_events_store_id", "store_id", "id"),
        Index("ix_order_events_order_id", "order_id", "id"),
        Index("ix_order_events_kind_at", "kind", "at"),  # reports: cancels and re-routes by day
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id")
    city_id: int = Field(foreign_key="cities.id")
    store_id: int = Field(foreign_key="stores.id")
    kind: str = Field(max_length=32)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str | None = Field(default=None, max_length=16)
    actor_role: str = Field(max_length=16)
    actor_id: int | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    at: datetime = Field(sa_type=UTCDateTime)


class IdempotencyKey(SQLModel, table=True):
    """Written first in an order's transaction; concurrent duplicates wait on the unique index."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        Index("uq_idempotency_keys_consumer_key", "consumer_id", "key", unique=True),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    consumer_id: int = Field(foreign_key="consumers.id")
    key: str = Field(max_length=128)
    request_hash: str = Field(max_length=64)
    response_status: int | None = None
    response_body: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    order_id: int | None = Field(default=None, foreign_key="orders.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class LedgerEntry(SQLModel, table=True):
    """Every money movement of an order: charges - refunds = what consumers paid."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_order_id", "order_id"),
        Index("ix_ledger_entries_kind_at", "kind", "at"),  # reports: refunds by day
        CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id")
    city_id: int = Field(foreign_key="cities.id")
    kind: str = Field(max_length=16)  # charge | refund | compensation
    amount_fen: int = Field(sa_type=BigInteger)
    note: str = Field(default="", max_length=128)
    at: datetime = Field(sa_type=UTCDateTime)


class MatchingRefusal(SQLModel, table=True):
    """Orders no store could take, per city, city-local day and reason (a refused order's own
    transaction rolls back, so this counter is written after it, in a transaction of its own)."""

    __tablename__ = "matching_refusals"
    __table_args__ = (
        Index("uq_matching_refusals_city_day_reason", "city_id", "day", "reason", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    city_id: int = Field(foreign_key="cities.id")
    day: date
    reason: str = Field(max_length=32)
    orders: int = Field(default=0, sa_type=BigInteger)  # refused orders with a store under it
    stores: int = Field(default=0, sa_type=BigInteger)  # stores counted under it, summed
