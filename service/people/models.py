"""Consumers, couriers and operators: the principals tokens and sessions are bound to.

Consumers' and couriers' `phone` is E.164 (service.auth.phones) once verified."""

from datetime import datetime

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime


class Consumer(SQLModel, table=True):
    __tablename__ = "consumers"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    phone: str = Field(max_length=32, unique=True)
    home_city_id: int | None = Field(default=None, foreign_key="cities.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    # Set by the first SMS sign-in: campaigns' per-person limits bind to verified numbers only.
    phone_verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Courier(SQLModel, table=True):
    __tablename__ = "couriers"
    __table_args__ = (Index("ix_couriers_city_status", "city_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    city_id: int = Field(foreign_key="cities.id")
    name: str = Field(max_length=64)
    phone: str = Field(max_length=32, unique=True)
    status: str = Field(default="offline", max_length=16)  # offline | idle | busy
    speed_kmh: float = Field(default=15.0, gt=0)
    last_lat: float | None = None
    last_lon: float | None = None
    last_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_accuracy_m: float | None = None
    last_heading: float | None = None
    capacity: int = Field(default=1, ge=1)  # deliveries (offers included) he may hold at once
    held: int = 0  # deliveries he holds now; moved only by conditional updates
    phone_verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Operator(SQLModel, table=True):
    __tablename__ = "operators"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    # None: a platform operator, sees every city; otherwise one city government's staff.
    city_id: int | None = Field(default=None, foreign_key="cities.id")
    # argon2id (PHC string); None until an operator sets one (API tokens only).
    password_hash: str | None = Field(default=None, max_length=256)
    # Fernet-encrypted TOTP secret; enrolled once the first code from it was accepted.
    totp_secret: str | None = Field(default=None, max_length=256)
    totp_enrolled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    totp_last_step: int | None = Field(default=None, sa_type=BigInteger)
    failed_sign_ins: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
