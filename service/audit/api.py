"""Operators reading the audit trail: platform operators all of it, city operators their city's."""

from flask import Blueprint, request

from service.audit.models import AuditEventRead
from service.audit.schemas import AuditEventsRead, AuditQuery
from service.audit.service import list_audit
from service.auth.models import Role
from service.web.auth import current_operator, require
from service.web.context import db_session
from service.web.spec import Resp, spec

bp = Blueprint("audit", __name__, url_prefix="/v1/admin")


@bp.get("/audit")
@require(Role.OPERATOR)
@spec.validate(query=AuditQuery, resp=Resp(HTTP_200=AuditEventsRead), tags=["operators"])
def audit():
    """Who changed what, newest first, filtered by target, action, actor role and time; page
    with `before` = the last id seen."""
    query: AuditQuery = request.context.query
    events = list_audit(
        session=db_session(),
        city_id=current_operator().city_id,
        target_type=query.target_type,
        target_id=query.target_id,
        before=query.before,
        limit=query.limit,
        action=query.action,
        actor_role=query.actor_role,
        since=query.since,
        until=query.until,
    )
    more = len(events) == query.limit
    return AuditEventsRead(
        events=[AuditEventRead.model_validate(e) for e in events],
        next_before=events[-1].id if more else None,
    )
