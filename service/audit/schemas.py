"""Request and response models of the operators' audit API."""

from sqlmodel import Field, SQLModel

from service.audit.models import AuditEventRead
from service.fields import Instant
from service.pricing.schemas import Id


class AuditQuery(SQLModel):
    target_type: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description="campaign | batch | template | city | ...",
    )
    target_id: Id | None = None
    before: Id | None = Field(default=None, description="cursor: the last id you saw")
    limit: int = Field(default=50, ge=1, le=200)
    action: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description='an action, or a prefix ending in "." ("campaign.")',
    )
    actor_role: str | None = Field(
        default=None,
        min_length=1,
        max_length=16,
        description="operator | store | courier | consumer | system",
    )
    since: Instant | None = Field(default=None, description="from this time (with its offset)")
    until: Instant | None = Field(default=None, description="before this time")


class AuditEventsRead(SQLModel):
    events: list[AuditEventRead]
    next_before: int | None
