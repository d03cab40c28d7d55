"""Request and response models of the promotions API (times out in the city's zone, or
Beijing time for a national promotion)."""

from datetime import datetime
from typing import Literal

from pydantic import model_validator
from sqlmodel import Field, SQLModel

from service.fields import Instant
from service.pricing.schemas import Id

Kind = Literal["every_threshold", "threshold"]
Fen = Field(gt=0, le=10**10)


class PromotionCreate(SQLModel):
    name: str = Field(min_length=1, max_length=128)
    kind: Kind
    threshold_fen: int = Fen
    discount_fen: int = Fen
    cap_fen: int | None = Field(default=None, gt=0, le=10**10)
    categories: list[str] | None = Field(default=None, max_length=20)
    city_id: Id | None = None  # None: every city
    starts_at: Instant
    ends_at: Instant

    @model_validator(mode="after")
    def _sane(self):
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.discount_fen > self.threshold_fen:
            raise ValueError("discount_fen may not exceed threshold_fen")
        return self


class PromotionUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=128)
    threshold_fen: int | None = Field(default=None, gt=0, le=10**10)
    discount_fen: int | None = Field(default=None, gt=0, le=10**10)
    cap_fen: int | None = Field(default=None, gt=0, le=10**10)
    categories: list[str] | None = Field(default=None, max_length=20)
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    paused: bool | None = None
    end_now: bool | None = None  # true: the promotion ends at once (ends_at = now)


class PromotionRead(SQLModel):
    id: int
    name: str
    kind: str
    threshold_fen: int
    discount_fen: int
    cap_fen: int | None
    categories: list[str] | None
    city_id: int | None
    starts_at: datetime
    ends_at: datetime
    paused: bool
    running: bool


class PromotionList(SQLModel):
    promotions: list[PromotionRead]
