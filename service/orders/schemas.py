"""Order request and response models (times city-local at the edges)."""

from datetime import datetime
from typing import Any

from pydantic import field_validator
from pydantic_core import PydanticCustomError
from sqlmodel import Field, SQLModel

from service.cities.schemas import PointIn
from service.fields import StrictInt
from service.payments.schemas import OPENID, OpenId, PaymentRead
from service.pricing.schemas import Id, ItemIn, LineBase, PaymentMethod, QuoteRead


class OrderIn(PointIn):
    items: list[ItemIn] = Field(min_length=1, max_length=50)
    address: str = Field(max_length=256, description="the address line; blank is refused")
    payment_method: PaymentMethod
    coupon_id: Id | None = None
    store_id: Id | None = None
    expected_payable_fen: StrictInt | None = Field(default=None, ge=0, le=10**12)
    payer_openid: OpenId | None = Field(default=None, description=OPENID)

    @field_validator("address")
    @classmethod
    def _address_line(cls, value: str) -> str:
        # The point says where; the line says which door: a courier needs both.
        if not value.strip():
            raise PydanticCustomError(
                "address_required", "an address line (street, building, door) is required"
            )
        return value.strip()


class OrderLineRead(LineBase):
    promotion_share_fen: int
    coupon_share_fen: int


class OrderEventRead(SQLModel):
    kind: str
    from_status: str | None
    to_status: str | None
    actor_role: str
    at: datetime
    data: dict[str, Any]


class StoreRef(SQLModel):
    id: int
    name: str
    address: str
    lat: float
    lon: float
    distance_km: float | None = None


class MissingLineRead(SQLModel):
    line_id: int
    sku: str
    name: str
    qty: int
    picked_qty: int
    missing_qty: int
    refund_fen: int


class ShortPickRead(SQLModel):
    """Units the store could not pick and what was refunded for them."""

    missing: list[MissingLineRead]
    refund_fen: int


class OrderRead(SQLModel):
    id: int
    status: str
    store: StoreRef
    address: str
    payment_method: str
    subtotal_fen: int
    promotion_fen: int
    coupon_fen: int
    delivery_fee_fen: int
    payable_fen: int
    coupon_id: int | None
    handoff_code: str
    cancel_reason: str | None
    placed_at: datetime
    promised_at: datetime
    eta_at: datetime
    lines: list[OrderLineRead]
    events: list[OrderEventRead]
    # From the ledger: charged (0 until the payment succeeds), refunded so far, and the net.
    paid_fen: int = 0
    refunded_fen: int = 0
    net_fen: int = 0
    short_pick: ShortPickRead | None = None
    refund_pending_fen: int = 0  # refunds asked for at the provider, not yet through
    payment: PaymentRead | None = None


class OrderPlacedRead(SQLModel):
    order: OrderRead
    breakdown: QuoteRead
    payment: PaymentRead | None = None


class OrdersQuery(SQLModel):
    before: Id | None = Field(default=None, description="cursor: the last id you saw")
    limit: int = Field(default=20, ge=1, le=100)


class OrdersRead(SQLModel):
    orders: list[OrderRead]
    next_before: int | None


class CancelIn(SQLModel):
    reason: str = Field(default="consumer", min_length=1, max_length=64)
