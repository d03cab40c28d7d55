"""Campaigns, batches, pack templates, claimed coupons and platform promotions."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime


class Campaign(SQLModel, table=True):
    __tablename__ = "campaigns"
    __table_args__ = (
        Index("uq_campaigns_city_name", "city_id", "name", unique=True),
        # The budget cap is enforced by conditional updates; this is the backstop.
        CheckConstraint("issued_fen <= budget_fen", name="issued_within_budget"),
        CheckConstraint("redeemed_fen >= 0", name="redeemed_not_negative"),
        CheckConstraint(
            "funding_government_pct + funding_platform_pct + funding_merchant_pct = 100",
            name="funding_sums_to_100",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    city_id: int = Field(foreign_key="cities.id")
    issuer: str = Field(max_length=16)  # city | platform
    issuer_name: str = Field(max_length=128)
    name: str = Field(max_length=128)
    budget_fen: int = Field(sa_type=BigInteger, gt=0)
    issued_fen: int = Field(default=0, sa_type=BigInteger)  # face value claimed; never decreases
    redeemed_fen: int = Field(
        default=0, sa_type=BigInteger
    )  # discount granted on live orders; cancels reverse it
    stacks_with_platform: bool = True
    payment_method: str | None = Field(default=None, max_length=32)
    categories: list[str] = Field(default_factory=list, sa_type=JSON)
    all_stores: bool = True
    funding_government_pct: int = 100
    funding_platform_pct: int = 0
    funding_merchant_pct: int = 0
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    paused: bool = False
    # Moved by every change of the pack; a claim commits only if the version it read is current.
    pack_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class CampaignStore(SQLModel, table=True):
    """A participating store of a campaign that is not open to all stores of its city."""

    __tablename__ = "campaign_stores"

    campaign_id: int = Field(foreign_key="campaigns.id", primary_key=True)
    store_id: int = Field(foreign_key="stores.id", primary_key=True)
    city_id: int = Field(foreign_key="cities.id")


class Batch(SQLModel, table=True):
    __tablename__ = "batches"
    __table_args__ = (
        Index("uq_batches_campaign_name", "campaign_id", "name", unique=True),
        CheckConstraint("packs_claimed <= pack_quota", name="claimed_within_quota"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaigns.id")
    city_id: int = Field(foreign_key="cities.id")
    name: str = Field(max_length=64)
    claim_starts_at: datetime = Field(sa_type=UTCDateTime)
    claim_ends_at: datetime = Field(sa_type=UTCDateTime)
    pack_quota: int = Field(gt=0)
    packs_claimed: int = 0


class CouponTemplate(SQLModel, table=True):
    """One kind of coupon in a campaign's pack; `quantity` of them per pack."""

    __tablename__ = "coupon_templates"
    __table_args__ = (
        CheckConstraint(
            "threshold_fen = 0 OR discount_fen <= threshold_fen", name="discount_within_threshold"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaigns.id", index=True)
    city_id: int = Field(foreign_key="cities.id")
    name: str = Field(max_length=128)
    threshold_fen: int = Field(sa_type=BigInteger, ge=0)
    discount_fen: int = Field(sa_type=BigInteger, gt=0)
    quantity: int = Field(default=1, gt=0)
    categories: list[str] | None = Field(default=None, sa_type=JSON)  # None: the campaign's
    valid_from: datetime | None = Field(default=None, sa_type=UTCDateTime)
    valid_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    valid_hours: int | None = Field(default=None, gt=0)  # N x 24 h from the claim


class PackClaim(SQLModel, table=True):
    """One consumer's pack from one batch; the unique index is the one-pack-per-batch rule."""

    __tablename__ = "pack_claims"
    __table_args__ = (
        Index("uq_pack_claims_consumer_batch", "consumer_id", "batch_id", unique=True),
        # reports: covers claims and issued face value by day
        Index("ix_pack_claims_campaign_claimed", "campaign_id", "claimed_at", "face_value_fen"),
    )

    id: int | None = Field(default=None, primary_key=True)
    consumer_id: int = Field(foreign_key="consumers.id")
    batch_id: int = Field(foreign_key="batches.id")
    campaign_id: int = Field(foreign_key="campaigns.id")
    city_id: int = Field(foreign_key="cities.id")
    face_value_fen: int = Field(sa_type=BigInteger)
    claimed_at: datetime = Field(sa_type=UTCDateTime)


class Coupon(SQLModel, table=True):
    __tablename__ = "coupons"
    __table_args__ = (
        Index("ix_coupons_consumer_status", "consumer_id", "status"),
        Index("ix_coupons_status_valid_until", "status", "valid_until"),
        # reports: covers a campaign's expired coupons by day and the sums reconciliation takes
        Index(
            "ix_coupons_campaign_status_valid",
            "campaign_id",
            "status",
            "valid_until",
            "discount_fen",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    city_id: int = Field(foreign_key="cities.id")
    consumer_id: int = Field(foreign_key="consumers.id")
    campaign_id: int = Field(foreign_key="campaigns.id")
    batch_id: int = Field(foreign_key="batches.id")
    template_id: int = Field(foreign_key="coupon_templates.id")
    pack_claim_id: int = Field(foreign_key="pack_claims.id")
    status: str = Field(default="AVAILABLE", max_length=16)  # AVAILABLE | REDEEMED | EXPIRED
    threshold_fen: int = Field(sa_type=BigInteger)
    discount_fen: int = Field(sa_type=BigInteger)
    valid_from: datetime = Field(sa_type=UTCDateTime)
    valid_until: datetime = Field(sa_type=UTCDateTime)
    claimed_at: datetime = Field(sa_type=UTCDateTime)


class CouponEvent(SQLModel, table=True):
    """Append-only history of a coupon: redeemed, released by a cancel, expired."""

    __tablename__ = "coupon_events"

    id: int | None = Field(default=None, primary_key=True)
    coupon_id: int = Field(foreign_key="coupons.id", index=True)
    city_id: int = Field(foreign_key="cities.id")
    kind: str = Field(max_length=16)
    order_id: int | None = Field(default=None, foreign_key="orders.id")
    at: datetime = Field(sa_type=UTCDateTime)


class Promotion(SQLModel, table=True):
    """Platform-funded automatic offer: every_threshold (each full T, D off) or threshold."""

    __tablename__ = "promotions"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128, unique=True)
    kind: str = Field(max_length=16)  # every_threshold | threshold
    threshold_fen: int = Field(sa_type=BigInteger, gt=0)
    discount_fen: int = Field(sa_type=BigInteger, gt=0)
    cap_fen: int | None = Field(sa_type=BigInteger, default=None, gt=0)
    categories: list[str] | None = Field(default=None, sa_type=JSON)
    city_id: int | None = Field(default=None, foreign_key="cities.id")  # None: national
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    paused: bool = False  # the operators' switch; an ended promotion has ends_at in the past
