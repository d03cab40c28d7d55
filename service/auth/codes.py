"""One-time sign-in codes by SMS: sent at most once a minute and ten times a day per number,
valid five minutes, single-use, five wrong tries per number and window.

Each limit is one conditional statement on the number's phone_codes row (an upsert when a code
is sent, an update when one is spent), so it holds exactly across workers and hosts: PostgreSQL
locks the row and re-checks the condition on its newest version, SQLite writes one at a time.
"""

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from service.auth.keys import keyed_hash
from service.auth.models import PhoneCode
from service.errors import TooManyRequests, Unauthenticated

CODE_TTL = timedelta(minutes=5)
RESEND_AFTER = timedelta(minutes=1)
WINDOW = timedelta(hours=24)
CODES_PER_WINDOW = 10
TRIES_PER_WINDOW = 5


@dataclass(frozen=True)
class IssuedCode:
    """A code to send (the caller hands it to the SMS port, then forgets it)."""

    phone: str
    code: str
    expires_at: datetime


def issue_code(*, session: Session, phone: str, secret_key: str, now: datetime) -> IssuedCode:
    """A fresh code for an E.164 number, or TooManyRequests; replaces any earlier code."""
    code = f"{secrets.randbelow(10**6):06d}"
    row = {
        "phone": phone,
        "code_hmac": _code_hmac(secret_key, phone, code),
        "code_expires_at": now + CODE_TTL,
        "last_sent_at": now,
        "window_started_at": now,
        "sent_in_window": 1,
        "failed_tries": 0,
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(PhoneCode).values(row)
    table = PhoneCode.__table__
    new_window = table.c.window_started_at <= now - WINDOW
    sent = session.execute(
        insert.on_conflict_do_update(
            index_elements=["phone"],
            set_={
                "code_hmac": insert.excluded.code_hmac,
                "code_expires_at": insert.excluded.code_expires_at,
                "last_sent_at": now,
                "window_started_at": case((new_window, now), else_=table.c.window_started_at),
                "sent_in_window": case((new_window, 1), else_=table.c.sent_in_window + 1),
                "failed_tries": case((new_window, 0), else_=table.c.failed_tries),
            },
            where=(table.c.last_sent_at <= now - RESEND_AFTER)
            & (new_window | (table.c.sent_in_window < CODES_PER_WINDOW)),
        ).returning(table.c.phone)
    ).first()
    if sent is None:
        raise TooManyRequests(
            "a code was sent to this number recently; wait before asking again",
            retry_after_s=_retry_after(session, phone, now),
            field="phone",
        )
    return IssuedCode(phone, code, now + CODE_TTL)


def spend_code(*, session: Session, phone: str, code: str, secret_key: str, now: datetime) -> None:
    """Spend the number's current code if `code` is it, unexpired, within the tries; else
    Unauthenticated (one wrong try more on the number, kept after the rollback)."""
    spent = session.execute(
        update(PhoneCode)
        .where(
            col(PhoneCode.phone) == phone,
            col(PhoneCode.code_hmac) == _code_hmac(secret_key, phone, code or ""),
            col(PhoneCode.code_expires_at) > now,
            col(PhoneCode.failed_tries) < TRIES_PER_WINDOW,
        )
        .values(code_hmac=None, failed_tries=0)
    ).rowcount
    if spent != 1:
        raise Unauthenticated(
            "the code is wrong, used or expired; ask for a new one",
            code="code_refused",
            field="code",
            after_rollback=lambda session: _count_wrong_try(session, phone),
        )


def _count_wrong_try(session: Session, phone: str) -> None:
    session.execute(
        update(PhoneCode)
        .where(col(PhoneCode.phone) == phone, col(PhoneCode.code_hmac).is_not(None))
        .values(failed_tries=PhoneCode.failed_tries + 1)
    )


def _retry_after(session: Session, phone: str, now: datetime) -> int:
    row = session.get(PhoneCode, phone)
    if row is None:
        return 60
    if row.sent_in_window >= CODES_PER_WINDOW and row.window_started_at > now - WINDOW:
        until = row.window_started_at + WINDOW
    else:
        until = row.last_sent_at + RESEND_AFTER
    return max(1, math.ceil((until - now).total_seconds()))  # whole seconds, never early


def _code_hmac(secret_key: str, phone: str, code: str) -> str:
    return keyed_hash(secret_key, "sms-codes", f"{phone}:{code}")
