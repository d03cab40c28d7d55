"""City: where the service runs, its local time and its delivery-fee rule."""

from sqlalchemy import JSON, BigInteger
from sqlmodel import Field, SQLModel


class CityBase(SQLModel):
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=64)
    name_en: str = Field(max_length=64)
    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    center_lat: float
    center_lon: float
    service_radius_km: float = Field(gt=0)
    courier_speed_kmh: float = Field(default=15.0, gt=0)
    delivery_fee_fen: int = Field(sa_type=BigInteger, default=500, ge=0)
    free_delivery_from_fen: int = Field(sa_type=BigInteger, default=5900, ge=0)
    acceptance_timeout_s: int = Field(default=180, gt=0)
    # Caps on a city campaign's platform and merchant funding shares; platform operators set them.
    max_platform_funding_pct: int = Field(
        default=20, ge=0, le=100, sa_column_kwargs={"server_default": "20"}
    )
    max_merchant_funding_pct: int = Field(
        default=20, ge=0, le=100, sa_column_kwargs={"server_default": "20"}
    )
    offer_timeout_s: int = Field(default=30, gt=0)
    location_fresh_s: int = Field(default=60, gt=0)  # older courier positions are not dispatched
    pickup_radius_km: float = Field(default=5.0, gt=0)  # farther couriers are not offered a job
    compensation_fen: int = Field(sa_type=BigInteger, default=1000, ge=0)  # late-delivery coupon
    compensation_valid_days: int = Field(default=7, gt=0)


class City(CityBase, table=True):
    __tablename__ = "cities"

    id: int | None = Field(default=None, primary_key=True)
    # payment method -> merchant account name (HD_PAYMENT_ACCOUNTS); None: the sandbox
    payment_accounts: dict[str, str] | None = Field(default=None, sa_type=JSON)
