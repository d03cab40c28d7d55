"""The per-person rules of campaigns bind to verified numbers: the check claims run first."""

from sqlalchemy import bindparam, select
from sqlmodel import Session

from service.auth.service import Caller
from service.errors import PermissionDenied
from service.people.models import Consumer

# Every claim runs this: built once (Core on the table), it only binds the consumer's id.
CONSUMERS = Consumer.__table__
VERIFIED = select(CONSUMERS.c.phone_verified_at.is_not(None)).where(
    CONSUMERS.c.id == bindparam("consumer_id"), CONSUMERS.c.disabled_at.is_(None)
)


def ensure_phone_verified(*, session: Session, token: Caller) -> None:
    """PermissionDenied (phone_not_verified) unless the caller's number was verified by SMS.

    A session opened by an SMS code is verified by how it was opened; an API token's consumer
    must have signed in by SMS once (or be a demo person from `fixtures load`)."""
    if token.method == "sms":
        return
    verified = session.execute(VERIFIED, {"consumer_id": token.principal_id}).scalar()
    if not verified:
        raise PermissionDenied(
            "sign in with your mobile number before claiming a pack", code="phone_not_verified"
        )
