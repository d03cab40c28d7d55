"""Writing and reading the audit trail. Writers call `record_audit` inside their own transaction."""

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from service.audit.models import AuditEvent


def record_audit(
    *,
    session: Session,
    at: datetime,
    actor_role: str,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: int | None,
    city_id: int | None = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event in the caller's transaction (so it commits or rolls back with it)."""
    event = AuditEvent(
        at=at,
        actor_role=str(actor_role),
        actor_id=actor_id,
        city_id=city_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        old=old or {},
        new=new or {},
    )
    session.add(event)
    session.flush()
    return event


def audit_operator_change(
    *,
    session: Session,
    operator_id: int,
    action: str,
    target_type: str,
    target: Any,
    now: datetime,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
) -> AuditEvent:
    """`record_audit` for an operator changing a row that has `id` and `city_id`."""
    return record_audit(
        session=session,
        at=now,
        actor_role="operator",
        actor_id=operator_id,
        action=action,
        target_type=target_type,
        target_id=target.id,
        city_id=target.city_id,
        old=old,
        new=new,
    )


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """The (old, new) pair restricted to the keys whose values differ."""
    keys = [key for key in after if before.get(key) != after[key]]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def list_audit(
    *,
    session: Session,
    city_id: int | None = None,
    target_type: str | None = None,
    target_id: int | None = None,
    before: int | None = None,
    limit: int = 50,
    action: str | None = None,
    actor_role: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditEvent]:
    """Audit events newest first, optionally for one city or one target, an action (or its
    prefix, "campaign." for every campaign change), an actor role and a time range; by id."""
    query = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
    if city_id is not None:
        query = query.where(AuditEvent.city_id == city_id)
    if target_type is not None:
        query = query.where(AuditEvent.target_type == target_type)
    if target_id is not None:
        query = query.where(AuditEvent.target_id == target_id)
    if before is not None:
        query = query.where(col(AuditEvent.id) < before)
    if action is not None:
        exact = col(AuditEvent.action) == action
        query = query.where(
            exact | col(AuditEvent.action).startswith(action, autoescape=True)
            if action.endswith(".")
            else exact
        )
    if actor_role is not None:
        query = query.where(AuditEvent.actor_role == actor_role)
    if since is not None:
        query = query.where(col(AuditEvent.at) >= since)
    if until is not None:
        query = query.where(col(AuditEvent.at) < until)
    return list(session.exec(query))
