"""What operators send and see about inventory sync. Settings (credentials) are never shown."""

from datetime import datetime

from sqlmodel import SQLModel


class SyncNowIn(SQLModel):
    force: bool = False  # apply a feed even though it looks truncated


class SyncRunRead(SQLModel):
    id: int
    store_id: int
    adapter_kind: str
    feed: str
    status: str
    started_at: datetime
    duration_ms: int
    rows_read: int
    rows_applied: int
    rows_rejected: int
    rows_zeroed: int
    rows_changed: int
    forced: bool
    error: str | None


class SyncStoreRead(SQLModel):
    store_id: int
    city_id: int
    name: str
    kind: str
    interval_s: int
    last_success_at: datetime | None
    stock_fresh_until: datetime | None
    last_error: str | None
    last_run: SyncRunRead | None
    failures: int
    backoff_until: datetime | None
    next_run_at: datetime | None


class SyncOverviewRead(SQLModel):
    stores: list[SyncStoreRead]
