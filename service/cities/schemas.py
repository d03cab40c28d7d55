"""A point on the map, as every request that names a location sends it."""

from sqlmodel import Field, SQLModel

from service.fields import StrictInt


class PointIn(SQLModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class FundingCapsIn(SQLModel):
    """Caps on a city campaign's platform and merchant funding shares (omit to keep one)."""

    max_platform_funding_pct: StrictInt | None = Field(default=None, ge=0, le=100)
    max_merchant_funding_pct: StrictInt | None = Field(default=None, ge=0, le=100)


class FundingCapsRead(SQLModel):
    city_id: int
    max_platform_funding_pct: int
    max_merchant_funding_pct: int
