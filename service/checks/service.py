"""Run every invariant check, keep the last run's findings for the console, count them.

`hourdelivery check money` prints the differences (exit 1 on any); the nightly `check_money`
job records them as an audit event the console lists (GET /v1/admin/invariants) and sets the
`hd_invariant_violations` gauge of /metrics. Operators run it after an incident.
"""

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from service.audit.models import AuditEvent
from service.audit.service import record_audit
from service.checks.differences import Difference
from service.checks.history import history_differences
from service.checks.money import campaign_differences, coupon_differences, ledger_differences
from service.checks.stock import slot_differences, stock_differences

CHECKS = (
    ledger_differences,
    stock_differences,
    slot_differences,
    campaign_differences,
    coupon_differences,
    history_differences,
)
ACTION = "checks.money"
KEPT = 500  # differences stored per run; the count is always whole


def find_differences(*, session: Session) -> list[Difference]:
    """Every invariant recomputed from the rows: [] when money, stock and history agree."""
    return [found for check in CHECKS for found in check(session)]


def check_and_record(*, session: Session, now: datetime) -> int:
    """Run the checks, keep the findings for the console and /metrics; how many there are."""
    from service.observability import metrics

    found = find_differences(session=session)
    record_audit(
        session=session,
        at=now,
        actor_role="system",
        actor_id=None,
        action=ACTION,
        target_type="invariants",
        target_id=None,
        new={"violations": len(found), "differences": [d.as_dict() for d in found[:KEPT]]},
    )
    metrics.INVARIANT_VIOLATIONS.set(len(found))
    return len(found)


def last_run(*, session: Session) -> dict:
    """The last recorded run: when, how many differences, and (up to 500 of) them."""
    event = session.execute(
        select(AuditEvent)
        .where(col(AuditEvent.action) == ACTION)
        .order_by(col(AuditEvent.id).desc())
        .limit(1)
    ).scalar_one_or_none()
    if event is None:
        return {"checked_at": None, "violations": None, "differences": []}
    return {"checked_at": event.at.isoformat(), **event.new}
