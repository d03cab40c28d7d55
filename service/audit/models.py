"""One row per operator or staff switch: campaigns, batches, funding, stores, unlocks..."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime


class AuditEventBase(SQLModel):
    at: datetime = Field(sa_type=UTCDateTime)
    actor_role: str = Field(max_length=16)  # operator | store | courier | consumer | system
    actor_id: int | None = None
    city_id: int | None = Field(default=None, foreign_key="cities.id")
    action: str = Field(max_length=64)  # e.g. campaign.pause, store.sku_unavailable
    target_type: str = Field(max_length=32)  # campaign | batch | store | promotion | delivery ...
    target_id: int | None = None
    old: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    new: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class AuditEvent(AuditEventBase, table=True):
    """Append-only; never updated or deleted by the service."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_target", "target_type", "target_id", "id"),
        Index("ix_audit_events_city_id", "city_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)


class AuditEventRead(AuditEventBase):
    id: int
