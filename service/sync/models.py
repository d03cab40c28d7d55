"""A record of every inventory sync attempt, for operators and back-off."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime


class SyncStatus:
    OK = "ok"
    REFUSED = "refused"  # the feed looked truncated: nothing applied
    FAILED = "failed"  # the feed could not be read: nothing applied


class SyncRun(SQLModel, table=True):
    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_store_id", "store_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    city_id: int = Field(foreign_key="cities.id")
    store_id: int = Field(foreign_key="stores.id")
    adapter_kind: str = Field(max_length=32)
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rows_read: int = 0
    rows_applied: int = 0
    rows_rejected: int = 0
    error: str | None = Field(default=None, max_length=1024)
    feed: str = Field(default="full", max_length=8)  # full snapshot or delta
    status: str = Field(default=SyncStatus.OK, max_length=16)
    duration_ms: int = 0
    cursor: str | None = Field(default=None, max_length=256)  # a delta feed's cursor after
    forced: bool = False  # an operator overrode the truncation check
    rows_zeroed: int = 0  # SKUs a full snapshot no longer lists, set to zero
    rows_changed: int = 0  # rows whose on_hand or price it changed (or added): the rows written
