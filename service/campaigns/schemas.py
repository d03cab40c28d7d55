"""Request and response models of the campaign API (times are city-local at the edges)."""

from datetime import datetime
from typing import Literal

from sqlmodel import Field, SQLModel

from service.cities.schemas import PointIn
from service.fields import Instant, StrictInt, Switch
from service.pricing.schemas import Id, PaymentMethod

Issuer = Literal["city", "platform"]
Category = str


class CampaignCreate(SQLModel):
    city_id: Id
    issuer: Issuer
    issuer_name: str = Field(min_length=1, max_length=128)
    name: str = Field(min_length=1, max_length=128)
    budget_fen: StrictInt = Field(gt=0, le=10**13)
    stacks_with_platform: Switch = True
    payment_method: PaymentMethod | None = None
    categories: list[Category] = Field(default_factory=list, max_length=20)
    store_ids: list[Id] | None = Field(default=None, max_length=5000)  # None: all in city
    funding_government_pct: StrictInt = Field(default=100, ge=0, le=100)
    funding_platform_pct: StrictInt = Field(default=0, ge=0, le=100)
    funding_merchant_pct: StrictInt = Field(default=0, ge=0, le=100)
    starts_at: Instant
    ends_at: Instant


class CampaignUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=128)
    budget_fen: StrictInt | None = Field(default=None, gt=0, le=10**13)
    paused: Switch | None = None
    stacks_with_platform: Switch | None = None
    ends_at: Instant | None = None


class BatchCreate(SQLModel):
    name: str = Field(min_length=1, max_length=64)
    claim_starts_at: Instant
    claim_ends_at: Instant
    pack_quota: StrictInt = Field(gt=0, le=10**8)


class TemplateCreate(SQLModel):
    name: str = Field(min_length=1, max_length=128)
    threshold_fen: StrictInt = Field(ge=0, le=10**10)
    discount_fen: StrictInt = Field(gt=0, le=10**10)
    quantity: StrictInt = Field(default=1, gt=0, le=50)
    categories: list[Category] | None = Field(default=None, max_length=20)
    valid_from: Instant | None = None
    valid_until: Instant | None = None
    valid_hours: StrictInt | None = Field(default=None, gt=0, le=24 * 366)


class BatchRead(SQLModel):
    id: int
    name: str
    claim_starts_at: datetime
    claim_ends_at: datetime
    pack_quota: int
    packs_claimed: int


class TemplateRead(SQLModel):
    id: int
    name: str
    threshold_fen: int
    discount_fen: int
    quantity: int
    categories: list[str] | None
    valid_from: datetime | None
    valid_until: datetime | None
    valid_hours: int | None


class CampaignRead(SQLModel):
    id: int
    city_id: int
    issuer: str
    issuer_name: str
    name: str
    budget_fen: int
    issued_fen: int
    redeemed_fen: int
    stacks_with_platform: bool
    payment_method: str | None
    categories: list[str]
    all_stores: bool
    funding_government_pct: int
    funding_platform_pct: int
    funding_merchant_pct: int
    starts_at: datetime
    ends_at: datetime
    paused: bool
    pack_value_fen: int
    batches: list[BatchRead]
    templates: list[TemplateRead]


class OpenCampaignsQuery(PointIn):
    """Where the consumer is."""


class OpenCampaignRead(SQLModel):
    id: int
    name: str
    issuer: str
    issuer_name: str
    categories: list[str]
    payment_method: str | None
    stacks_with_platform: bool
    batch: BatchRead
    pack: list[TemplateRead]
    pack_value_fen: int
    claimed: bool


class OpenCampaignsRead(SQLModel):
    city: str
    campaigns: list[OpenCampaignRead]


class ClaimIn(PointIn):
    """Where the consumer claims from (must be inside the campaign's city)."""


class CouponRead(SQLModel):
    id: int
    campaign_id: int
    campaign_name: str
    batch_id: int
    status: str
    threshold_fen: int
    discount_fen: int
    categories: list[str]
    valid_from: datetime
    valid_until: datetime
    claimed_at: datetime


class ClaimRead(SQLModel):
    pack_claim_id: int
    campaign_id: int
    batch_id: int
    face_value_fen: int
    coupons: list[CouponRead]


class CouponsQuery(SQLModel):
    status: Literal["AVAILABLE", "REDEEMED", "EXPIRED"] | None = None


class CouponsRead(SQLModel):
    coupons: list[CouponRead]


class UpcomingBatchRead(SQLModel):
    campaign_id: int
    name: str
    issuer_name: str
    opens_at: datetime  # city-local


class UpcomingRead(SQLModel):
    """Campaigns with a claim window still to open, soonest first: the shop's countdown."""

    city: str
    upcoming: list[UpcomingBatchRead]
