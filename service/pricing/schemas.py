"""Quote request and response models."""

from typing import Literal

from sqlmodel import Field, SQLModel

PaymentMethod = Literal["wechat", "alipay", "card", "digital_rmb"]


class ItemIn(SQLModel):
    sku: str = Field(min_length=1, max_length=32)
    qty: int = Field(gt=0, le=99)


class QuoteIn(SQLModel):
    items: list[ItemIn] = Field(min_length=1, max_length=50)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    payment_method: PaymentMethod
    store_id: int | None = None  # None: the store an order would be matched to now
    coupon_id: int | None = None


class QuoteLineRead(SQLModel):
    sku: str
    name: str
    category: str
    qty: int
    unit_price_fen: int
    amount_fen: int
    promotion_fen: int
    coupon_fen: int
    payable_fen: int


class PromotionRead(SQLModel):
    id: int
    name: str
    eligible_fen: int
    discount_fen: int


class CouponAppliedRead(SQLModel):
    coupon_id: int
    campaign_id: int
    eligible_fen: int
    base_fen: int
    discount_fen: int
    funding: dict[str, int]


class SuggestedCouponRead(SQLModel):
    coupon_id: int
    payable_fen: int
    saves_fen: int


class StoreBrief(SQLModel):
    id: int
    name: str


class QuoteRead(SQLModel):
    store: StoreBrief
    lines: list[QuoteLineRead]
    subtotal_fen: int
    promotion: PromotionRead | None
    coupon: CouponAppliedRead | None
    coupon_refusal: str | None
    goods_payable_fen: int
    delivery_fee_fen: int
    payable_fen: int
    funding: dict[str, int]
    suggested_coupon: SuggestedCouponRead | None = None
