"""Signing people in by mobile number: a code to the number, then a session for its account."""

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from service.auth.codes import issue_code, spend_code
from service.auth.models import Role
from service.auth.phones import mask_phone, normalise_phone
from service.auth.sessions import SessionTokens, issue_session
from service.auth.sms.base import SmsError, SmsMessage, SmsReceipt, SmsSender
from service.errors import PermissionDenied, Unavailable
from service.people.models import Consumer, Courier

ACCOUNT = {Role.CONSUMER: Consumer, Role.COURIER: Courier}


def send_code(
    *, session: Session, phone: str, sender: SmsSender, secret_key: str, now: datetime
) -> SmsReceipt:
    """Send a sign-in code to the number, whether or not it has an account (answers the same)."""
    issued = issue_code(
        session=session, phone=normalise_phone(phone), secret_key=secret_key, now=now
    )
    # Sent inside the transaction: if the provider fails, the limits count nothing.
    try:
        return sender.send_code(SmsMessage(issued.phone, issued.code, minutes_valid=5))
    except SmsError:
        raise Unavailable(
            "the code could not be sent; try again shortly", code="sms_unavailable"
        ) from None


def sign_in_by_phone(
    *,
    session: Session,
    phone: str,
    code: str,
    role: Role,
    secret_key: str,
    now: datetime,
    label: str = "",
) -> SessionTokens:
    """Spend the number's code and open a session for its consumer (created on first sign-in)
    or its courier (registered by an operator beforehand)."""
    phone = normalise_phone(phone)
    spend_code(session=session, phone=phone, code=code, secret_key=secret_key, now=now)
    person = _account(session, Role(role), phone, now)
    if person.disabled_at is not None:
        raise PermissionDenied("this account is disabled", code="account_disabled")
    if person.phone_verified_at is None:
        person.phone_verified_at = now
    session.flush()
    return issue_session(
        session=session, role=Role(role), principal_id=person.id, method="sms", now=now, label=label
    )


def _account(session: Session, role: Role, phone: str, now: datetime):
    model = ACCOUNT.get(role)
    if model is None:
        raise PermissionDenied("only consumers and couriers sign in by phone", field="role")
    person = session.execute(select(model).where(col(model.phone) == phone)).scalar_one_or_none()
    if person is not None:
        return person
    if role is Role.COURIER:
        # The code proved the number is the caller's, so saying this reveals nothing to others.
        raise PermissionDenied("this number is not registered as a courier", code="not_a_courier")
    person = Consumer(name=f"顾客{mask_phone(phone)[-4:]}", phone=phone, created_at=now)
    session.add(person)
    session.flush()
    return person
