"""Account management by operators: create operators, register couriers' numbers, disable,
enable and reset accounts; every change audited (target_type "account").

A platform operator (city_id None) manages every city; a city operator only his city's
couriers, operators and consumers. Disabling ends the account's sessions and API tokens at once
in this process and everywhere else within the caller TTL (service.auth.service.caller_ttl_s,
HD_CALLER_TTL_S, 30 s by default).
"""

from datetime import datetime

from sqlmodel import Session, col, select

from service.audit.service import record_audit
from service.auth import passwords
from service.auth.models import Role
from service.auth.phones import mask_phone, normalise_phone
from service.auth.service import forget_callers
from service.auth.sessions import revoke_sessions_of
from service.errors import Conflict, NotFound, PermissionDenied
from service.people.models import Consumer, Courier, Operator

MANAGED = {Role.CONSUMER: Consumer, Role.COURIER: Courier, Role.OPERATOR: Operator}


def create_operator(
    *, session: Session, actor: Operator, name: str, city_id: int | None, now: datetime
) -> tuple[Operator, str]:
    """A new operator with a temporary password (shown once); TOTP is enrolled at first sign-in."""
    if actor.city_id is not None and city_id != actor.city_id:
        raise PermissionDenied("city operators create operators of their own city only")
    if session.exec(select(Operator).where(Operator.name == name)).first() is not None:
        raise Conflict("an operator of that name exists", field="name")
    password = passwords.new_password()
    operator = Operator(name=name, city_id=city_id, password_hash=passwords.hash_password(password))
    session.add(operator)
    session.flush()
    _audit(
        session,
        actor,
        "account.create",
        Role.OPERATOR,
        operator.id,
        city_id,
        now,
        new={"name": name},
    )
    return operator, password


def register_courier(
    *, session: Session, actor: Operator, name: str, phone: str, city_id: int, now: datetime
) -> Courier:
    """Register a courier's number: he signs in with it by SMS code."""
    if actor.city_id is not None and city_id != actor.city_id:
        raise PermissionDenied("city operators register couriers of their own city only")
    phone = normalise_phone(phone)
    if session.exec(select(Courier).where(Courier.phone == phone)).first() is not None:
        raise Conflict("a courier with that number exists", field="phone")
    courier = Courier(name=name, phone=phone, city_id=city_id)
    session.add(courier)
    session.flush()
    _audit(
        session,
        actor,
        "account.create",
        Role.COURIER,
        courier.id,
        city_id,
        now,
        new={"name": name, "phone": mask_phone(phone)},
    )
    return courier


def set_disabled(
    *, session: Session, actor: Operator, role: Role, account_id: int, disabled: bool, now: datetime
) -> None:
    """Disable (ending every session and token) or enable an account."""
    account = _managed(session, actor, role, account_id)
    if account is actor:
        raise Conflict("operators cannot disable themselves")
    before = account.disabled_at is not None
    account.disabled_at = now if disabled else None
    session.flush()
    if disabled:
        forget_callers(
            revoke_sessions_of(
                session=session, role=role, principal_id=account_id, now=now, tokens_too=True
            )
        )
    _audit(
        session,
        actor,
        "account.disable" if disabled else "account.enable",
        role,
        account_id,
        _city(account),
        now,
        old={"disabled": before},
        new={"disabled": disabled},
    )


def reset_operator(*, session: Session, actor: Operator, operator_id: int, now: datetime) -> str:
    """A new temporary password, TOTP to enrol again, every session ended; the password."""
    operator = _managed(session, actor, Role.OPERATOR, operator_id)
    password = passwords.new_password()
    operator.password_hash = passwords.hash_password(password)
    operator.totp_secret = operator.totp_enrolled_at = None
    operator.failed_sign_ins, operator.locked_until = 0, None
    session.flush()
    forget_callers(
        revoke_sessions_of(session=session, role=Role.OPERATOR, principal_id=operator_id, now=now)
    )
    _audit(session, actor, "account.reset", Role.OPERATOR, operator_id, operator.city_id, now)
    return password


def accounts(*, session: Session, actor: Operator, role: Role) -> list:
    """The accounts of one role the actor manages (newest first, at most 500)."""
    model = MANAGED[role]
    query = select(model).order_by(col(model.id).desc()).limit(500)
    if actor.city_id is not None:
        city = model.home_city_id if model is Consumer else model.city_id
        query = query.where(city == actor.city_id)
    return list(session.exec(query))


def _managed(session: Session, actor: Operator, role: Role, account_id: int):
    model = MANAGED.get(Role(role))
    account = session.get(model, account_id) if model else None
    if account is None or (actor.city_id is not None and _city(account) != actor.city_id):
        raise NotFound("no such account")
    return account


def _city(account) -> int | None:
    return getattr(account, "home_city_id", None) or getattr(account, "city_id", None)


def _audit(session, actor, action, role, target_id, city_id, now, old=None, new=None) -> None:
    record_audit(
        session=session,
        at=now,
        actor_role=Role.OPERATOR,
        actor_id=actor.id,
        action=action,
        target_type="account",
        target_id=target_id,
        city_id=city_id,
        old=old,
        new={"role": str(role), **(new or {})},
    )
