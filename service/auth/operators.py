"""Operators sign in with a password and a TOTP code; the first sign-in enrols the TOTP secret.

Order of checks: the per-address rate limit (service.auth.limits, before the route), then the
account's lockout (no hash computed while locked), then argon2, then TOTP. Five failed
passwords or codes lock the account for LOCKOUT; a success clears the count.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, or_, select, update
from sqlmodel import Session, col

from service.auth import keys, passwords
from service.auth.models import Role
from service.auth.sessions import SessionTokens, issue_session
from service.errors import TooManyRequests, Unauthenticated
from service.people.models import Operator

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
REFUSED = "the username, password or code is wrong"


@dataclass(frozen=True)
class Enrolment:
    """The TOTP secret to add to an authenticator app (until a first code from it is accepted)."""

    secret: str
    otpauth_uri: str
    qr_svg: str


def sign_in_operator(
    *,
    session: Session,
    username: str,
    password: str,
    totp: str | None,
    secret_key: str,
    now: datetime,
    unix_time: float,
    label: str = "",
) -> SessionTokens | Enrolment:
    """A password + TOTP session, or the enrolment to finish first; Unauthenticated otherwise."""
    operator = session.execute(select(Operator).where(col(Operator.name) == username)).scalar()
    if operator is not None and operator.locked_until is not None and operator.locked_until > now:
        raise TooManyRequests(
            "too many failed sign-ins; try again later",
            retry_after_s=int((operator.locked_until - now).total_seconds()) + 1,
        )
    stored = operator.password_hash if operator and operator.disabled_at is None else None
    if not passwords.check_password(stored, password):
        raise _refused(operator, now)
    if operator.totp_secret is None:
        operator.totp_secret = keys.encrypt(secret_key, passwords.new_totp_secret())
        session.flush()
    secret = keys.decrypt(secret_key, operator.totp_secret)
    if not totp:
        if operator.totp_enrolled_at is None:
            uri = passwords.totp_uri(secret, operator.name)
            return Enrolment(secret, uri, passwords.totp_qr_svg(uri))
        raise Unauthenticated(
            "enter the code from your authenticator app", code="totp_required", field="totp"
        )
    _spend_step(session, operator, passwords.matching_step(secret, totp, unix_time), now)
    operator.failed_sign_ins, operator.totp_enrolled_at = 0, operator.totp_enrolled_at or now
    session.flush()
    return issue_session(
        session=session,
        role=Role.OPERATOR,
        principal_id=operator.id,
        method="password_totp",
        now=now,
        label=label,
    )


def _spend_step(session: Session, operator: Operator, step: int | None, now: datetime) -> None:
    # Conditional: of two sign-ins racing with one code, one wins; a used step never returns.
    spent = (
        step is not None
        and session.execute(
            update(Operator)
            .where(
                col(Operator.id) == operator.id,
                or_(col(Operator.totp_last_step).is_(None), col(Operator.totp_last_step) < step),
            )
            .values(totp_last_step=step)
        ).rowcount
        == 1
    )
    if not spent:
        raise _refused(operator, now, code="totp_refused", field="totp")


def _refused(
    operator: Operator | None,
    now: datetime,
    code: str = "sign_in_refused",
    field: str | None = "password",
) -> Unauthenticated:
    operator_id = operator.id if operator is not None else None

    def count(session: Session) -> None:
        if operator_id is None:
            return
        locks = Operator.failed_sign_ins + 1 >= MAX_FAILURES
        session.execute(
            update(Operator)
            .where(col(Operator.id) == operator_id)
            .values(
                failed_sign_ins=case((locks, 0), else_=Operator.failed_sign_ins + 1),
                locked_until=case((locks, now + LOCKOUT), else_=Operator.locked_until),
            )
        )

    return Unauthenticated(REFUSED, code=code, field=field, after_rollback=count)
