"""A delivery per accepted order, and the location trail of couriers carrying one."""

from datetime import datetime

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime

WAITING, OFFERED, ASSIGNED, AT_STORE = "WAITING", "OFFERED", "ASSIGNED", "AT_STORE"
PICKED_UP, DELIVERED, FAILED, CANCELLED = "PICKED_UP", "DELIVERED", "FAILED", "CANCELLED"
# A courier holds these: an offer counts against his capacity until he answers it.
HELD = (OFFERED, ASSIGNED, AT_STORE, PICKED_UP)
CARRYING = (ASSIGNED, AT_STORE, PICKED_UP)
CLOSED = (DELIVERED, FAILED, CANCELLED)


class Delivery(SQLModel, table=True):
    """One per order, made when the store accepts it; city-local like every hot row."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_city_status", "city_id", "status"),
        Index("ix_deliveries_courier_status", "courier_id", "status"),
        Index("uq_deliveries_share_token", "share_token", unique=True),
        Index("uq_deliveries_compensation_coupon_id", "compensation_coupon_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", unique=True)
    city_id: int = Field(foreign_key="cities.id")
    store_id: int | None = Field(default=None, foreign_key="stores.id")
    courier_id: int | None = Field(default=None, foreign_key="couriers.id")
    status: str = Field(default=WAITING, max_length=16)
    # 32 random bytes, URL-safe: unguessable, so it can be stored as is and looked up.
    share_token: str | None = Field(default=None, max_length=64)
    # Declined or failed it: never offered it again. Let an offer lapse: offered it again once
    # every other free courier in pickup reach had it (or none is free).
    passed_courier_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    lapsed_courier_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When it last began to need a courier (opened, or sent out again after a failure); offers
    # declined or lapsed meanwhile do not reset it. 10 minutes on, it is on the operators' list.
    seeking_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    offered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    offer_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    arrived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    picked_up_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    fail_reason: str | None = Field(default=None, max_length=128)
    wrong_codes: int = 0
    locked: bool = False
    # Set once by a conditional update: the one compensation of a late order.
    compensation_coupon_id: int | None = Field(default=None, foreign_key="coupons.id")


class CourierLocation(SQLModel, table=True):
    """A courier's trail while he holds a delivery; purged after 7 days."""

    __tablename__ = "courier_locations"
    __table_args__ = (
        Index("ix_courier_locations_courier_at", "courier_id", "at"),
        Index("ix_courier_locations_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    city_id: int = Field(foreign_key="cities.id")
    courier_id: int = Field(foreign_key="couriers.id")
    lat: float
    lon: float
    accuracy_m: float | None = None
    at: datetime = Field(sa_type=UTCDateTime)
