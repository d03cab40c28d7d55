"""Consumers, couriers and operators: the principals API tokens are bound to."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime


class Consumer(SQLModel, table=True):
    __tablename__ = "consumers"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    phone: str = Field(max_length=32, unique=True)
    home_city_id: int | None = Field(default=None, foreign_key="cities.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


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


class Operator(SQLModel, table=True):
    __tablename__ = "operators"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    # None: a platform operator, sees every city; otherwise one city government's staff.
    city_id: int | None = Field(default=None, foreign_key="cities.id")
