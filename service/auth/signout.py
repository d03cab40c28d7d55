"""Signing out: one session, or every session of an account."""

from datetime import datetime

from sqlmodel import Session

from service.auth.models import Role
from service.auth.schemas import SignedOut
from service.auth.service import Caller, forget_callers, revoke_token
from service.auth.sessions import revoke_session, revoke_sessions_of


def sign_out(*, session: Session, token: Caller, everywhere: bool, now: datetime) -> SignedOut:
    """End the caller's session (or API token), or with `everywhere` all its sessions."""
    if everywhere:
        hashes = revoke_sessions_of(
            session=session, role=Role(token.role), principal_id=token.principal_id, now=now
        )
    elif token.session_id is not None:
        hashes = revoke_session(session=session, session_id=token.session_id, now=now)
    else:
        return SignedOut(
            sessions_ended=int(revoke_token(session=session, token_id=token.token_id, now=now))
        )
    forget_callers(hashes)
    return SignedOut(sessions_ended=len(hashes))
