"""Quote request and response models."""

from datetime import datetime
from typing import Annotated, Literal

from sqlmodel import Field, SQLModel

from service.cities.schemas import PointIn
from service.fields import StrictInt
from service.pricing.terms import AppliedCoupon, AppliedPromotion

PaymentMethod = Literal["wechat", "alipay", "card", "digital_rmb"]
# A row id: positive and within the 32-bit id columns of both engines.
Id = Annotated[int, Field(gt=0, le=2**31 - 1)]


class ItemIn(SQLModel):
    sku: str = Field(min_length=1, max_length=32)
    qty: StrictInt = Field(gt=0, le=99)


class QuoteIn(PointIn):
    items: list[ItemIn] = Field(min_length=1, max_length=50)
    payment_method: PaymentMethod
    store_id: Id | None = None  # None: the store an order would be matched to now
    coupon_id: Id | None = None


class LineBase(SQLModel):
    """A basket line as priced: what both quotes and orders show."""

    sku: str
    name: str
    category: str
    qty: int
    unit_price_fen: int
    amount_fen: int


class QuoteLineRead(LineBase):
    promotion_fen: int
    coupon_fen: int
    payable_fen: int


class SuggestedCouponRead(SQLModel):
    coupon_id: int
    payable_fen: int
    saves_fen: int


class CouponOptionRead(SQLModel):
    """One usable coupon on this basket: what it saves, or why not and how far it is."""

    coupon_id: int
    threshold_fen: int
    discount_fen: int
    valid_until: datetime
    payable_fen: int
    saves_fen: int
    refusal: str | None
    add_fen: int  # below its threshold: how much more of its categories reaches it


class NextThresholdRead(SQLModel):
    """ "Add 12 yuan more to save 30": the coupon short of its threshold by the least."""

    coupon_id: int
    add_fen: int
    saves_fen: int


class StoreBrief(SQLModel):
    id: int
    name: str


class QuoteRead(SQLModel):
    store: StoreBrief
    lines: list[QuoteLineRead]
    subtotal_fen: int
    promotion: AppliedPromotion | None  # the engine's own result types, shown as they are
    coupon: AppliedCoupon | None
    coupon_refusal: str | None
    goods_payable_fen: int
    delivery_fee_fen: int
    payable_fen: int
    funding: dict[str, int]
    suggested_coupon: SuggestedCouponRead | None = None
    coupons: list[CouponOptionRead] = []
    next_threshold: NextThresholdRead | None = None
