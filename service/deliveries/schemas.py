"""Courier, tracking and operator request/response models (times city-local at the edges)."""

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from service.cities.schemas import PointIn
from service.fields import Instant


class LocationIn(PointIn):
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000)
    heading: float | None = Field(default=None, ge=0, lt=360)


class CodeIn(SQLModel):
    code: str = Field(regex=r"^[0-9]{4}$")


class FailedIn(SQLModel):
    reason: str = Field(min_length=1, max_length=128)


class CourierRead(SQLModel):
    id: int
    name: str
    status: str
    capacity: int
    held: int
    last_lat: float | None
    last_lon: float | None
    last_seen_at: datetime | None


class PlaceRef(SQLModel):
    name: str
    address: str
    lat: float
    lon: float
    phone: str | None = None  # the consumer's, masked (138****1234), on a current delivery only


class DeliveryRead(SQLModel):
    """A delivery as its courier sees it: where to fetch, where to bring, what to ask for."""

    id: int
    order_id: int
    status: str
    order_status: str
    order_number: str  # what the store asks the courier for
    items_count: int
    store: PlaceRef
    drop_off: PlaceRef
    offer_expires_at: datetime | None
    offer_seconds_left: int | None
    wrong_codes: int
    locked: bool


class DeliveriesRead(SQLModel):
    deliveries: list[DeliveryRead]


class TrackingQuery(SQLModel):
    share: str | None = Field(default=None, max_length=64, description="the tracking link token")


class TrackingRead(SQLModel):
    order_id: int
    status: str
    delivery_status: str | None
    store: dict[str, Any]
    courier: dict[str, Any] | None
    looking_for_courier: bool = False
    home: dict[str, Any]
    placed_at: datetime
    promised_at: datetime
    eta_at: datetime | None
    eta_s: int | None
    late: bool
    timeline: list[dict[str, Any]]
    handoff_code: str | None = None
    share_token: str | None = None


class OpsDeliveryRead(SQLModel):
    id: int
    order_id: int
    city_id: int
    status: str
    courier_id: int | None
    fail_reason: str | None
    wrong_codes: int
    locked: bool
    order_status: str
    promised_at: datetime


class OpsDeliveriesRead(SQLModel):
    deliveries: list[OpsDeliveryRead]


class LateOrderRead(SQLModel):
    id: int
    city_id: int
    store_id: int
    status: str
    placed_at: datetime
    promised_at: datetime
    late_minutes: int


class LateOrdersRead(SQLModel):
    orders: list[LateOrderRead]


class FiguresQuery(SQLModel):
    since: Instant
    until: Instant
    city_id: int | None = Field(default=None, ge=1, le=2_147_483_647)  # an id column's range


class FiguresRead(SQLModel):
    cities: list[dict[str, Any]]
    stores: list[dict[str, Any]]


class WatchQuery(SQLModel):
    city_id: int | None = Field(
        default=None, ge=1, le=2_147_483_647, description="a platform operator's choice of city"
    )


class UnassignedRead(SQLModel):
    delivery_id: int
    order_id: int
    delivery_status: str  # WAITING or OFFERED (offered, not yet taken)
    order_status: str
    city_id: int
    store_id: int
    store_name: str
    waiting_since: datetime
    waiting_s: int


class UnassignedListRead(SQLModel):
    items: list[UnassignedRead]


class SlowOrderRead(SQLModel):
    order_id: int
    store_id: int
    store_name: str
    accepted_at: datetime
    ready_by: datetime
    overdue_s: int


class SlowOrdersRead(SQLModel):
    items: list[SlowOrderRead]
