"""Store tablet request and response models."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Field, SQLModel

from service.orders.schemas import OrderEventRead


class FeedQuery(SQLModel):
    after: str | None = Field(
        default=None,
        max_length=200,
        description="the cursor of the last answer; none: start at now",
    )
    wait: float = Field(default=0, ge=0, le=25, description="long-poll up to this many seconds")


class FeedEventRead(SQLModel):
    id: int
    order_id: int
    store_id: int
    kind: str
    from_status: str | None
    to_status: str | None
    actor_role: str
    data: dict[str, Any]
    at: datetime


class FeedRead(SQLModel):
    events: list[FeedEventRead]
    cursor: str
    more: bool = Field(description="more events are waiting: ask again at once")


class QueueQuery(SQLModel):
    status: str | None = Field(
        default=None,
        max_length=16,
        description="PLACED, ACCEPTED, READY...; default: the open ones",
    )


class PickLineRead(SQLModel):
    id: int
    sku: str
    name: str
    qty: int
    picked_qty: int | None
    unit_price_fen: int
    on_hand: int


class StoreOrderRead(SQLModel):
    id: int
    order_number: str = Field(description="the store's number for it today: what the courier says")
    status: str
    address: str
    subtotal_fen: int
    payable_fen: int
    refund_fen: int = 0  # given back so far (short-picks, a cancel), from the ledger
    net_fen: int = 0  # what the consumer paid net: charged less refunded
    placed_at: datetime
    promised_at: datetime
    accept_by: datetime | None
    lines: list[PickLineRead]
    events: list[OrderEventRead]


class QueueRead(SQLModel):
    orders: list[StoreOrderRead]


class RejectReason(StrEnum):
    OUT_OF_STOCK = "out_of_stock"
    CLOSING = "closing"
    TOO_BUSY = "too_busy"
    OTHER = "other"


class RejectIn(SQLModel):
    reason: RejectReason


class RejectedRead(SQLModel):
    """What became of a rejected order; it is no longer this store's to see."""

    id: int
    outcome: str = Field(description="reassigned (to another store) or cancelled")


class ShortPickIn(SQLModel):
    line_id: int = Field(ge=1, le=2**31 - 1)
    picked_qty: int = Field(ge=0, description="units actually picked (fewer than ordered)")


class BusyIn(SQLModel):
    busy: bool


class SkuSwitchIn(SQLModel):
    sku: str = Field(min_length=1, max_length=32)
    unavailable: bool


class StoreStateRead(SQLModel):
    id: int
    name: str
    intake_mode: str
    paused: bool
    flagged_reason: str | None
    last_polled_at: datetime | None
    accept_timeout_s: int


class IntakeMode(StrEnum):
    TABLET = "tablet"
    AUTO_ACCEPT = "auto_accept"


class IntakeIn(SQLModel):
    intake_mode: IntakeMode | None = None
    paused: bool | None = None
    accept_timeout_s: int | None = Field(default=None, ge=30, le=3600)
