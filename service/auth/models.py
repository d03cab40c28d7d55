"""Bearer tokens, stored only as their SHA-256."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from service.db import UTCDateTime


class Role(StrEnum):
    CONSUMER = "consumer"
    STORE = "store"
    COURIER = "courier"
    OPERATOR = "operator"


class ApiToken(SQLModel, table=True):
    """A random secret (shown once) bound to one principal in one role."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    # SHA-256 hex: the token carries >= 256 bits of entropy, so a fast hash is enough.
    token_hash: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=16)
    principal_id: int
    label: str = Field(default="", max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MeRead(SQLModel):
    role: Role
    principal_id: int
    name: str
    city_id: int | None = None
    token_label: str
