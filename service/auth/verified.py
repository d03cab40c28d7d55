"""The per-person rules of campaigns bind to verified numbers: the check claims run first."""

from sqlalchemy import select
from sqlmodel import Session, col

from service.auth.service import Caller
from service.errors import PermissionDenied
from service.people.models import Consumer


def ensure_phone_verified(*, session: Session, token: Caller) -> None:
    """PermissionDenied (phone_not_verified) unless the caller's number was verified by SMS.

    A session opened by an SMS code is verified by how it was opened; an API token's consumer
    must have signed in by SMS once (or be a demo person from `fixtures load`)."""
    if token.method == "sms":
        return
    verified = session.execute(
        select(col(Consumer.phone_verified_at).is_not(None)).where(
            col(Consumer.id) == token.principal_id, col(Consumer.disabled_at).is_(None)
        )
    ).scalar()
    if not verified:
        raise PermissionDenied(
            "sign in with your mobile number before claiming a pack", code="phone_not_verified"
        )
