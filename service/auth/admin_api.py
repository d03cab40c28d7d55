"""The console's account management: operators, couriers' numbers, disabling, resets, pairing
tablets, and the audit trail of account changes. Only password + TOTP sessions may use it."""

from flask import Blueprint, request

from service.audit.service import list_audit
from service.auth import accounts, pairing
from service.auth.models import Role
from service.auth.phones import mask_phone
from service.auth.schemas import (
    AccountAuditList,
    AccountRead,
    AccountsQuery,
    AccountsRead,
    CourierRegister,
    DeviceRead,
    DevicesRead,
    OperatorCreate,
    OperatorCreated,
    PairingCodeRead,
    PasswordRead,
    SignedOut,
)
from service.auth.service import forget_callers
from service.errors import PermissionDenied
from service.web.auth import BEARER, caller, require
from service.web.context import clock, db_session
from service.web.operator import current_operator
from service.web.spec import ID, Resp, spec

bp = Blueprint("accounts_admin", __name__, url_prefix="/v1/admin")
ERRORS = {"HTTP_401": None, "HTTP_403": None, "HTTP_404": None, "HTTP_409": None}
ROLE = "<any(consumer, courier, operator):role>"


def console():
    """The operator of a password + TOTP session (API tokens are for scripts: 403)."""
    if caller().method != "password_totp":
        raise PermissionDenied(
            "sign in to the console with password and TOTP", code="totp_session_required"
        )
    return current_operator()


def account_read(role: str, account) -> AccountRead:
    city = getattr(account, "home_city_id", None) or getattr(account, "city_id", None)
    return AccountRead(
        role=role,
        id=account.id,
        name=account.name,
        city_id=city,
        phone=mask_phone(getattr(account, "phone", None)),
        disabled=account.disabled_at is not None,
    )


@bp.post("/operators")
@require(Role.OPERATOR)
@spec.validate(
    json=OperatorCreate,
    resp=Resp(HTTP_201=OperatorCreated, **ERRORS),
    tags=["accounts"],
    security=BEARER,
)
def create_operator():
    """Create an operator; the temporary password is shown once."""
    body: OperatorCreate = request.context.json
    made, password = accounts.create_operator(
        session=db_session(),
        actor=console(),
        name=body.name,
        city_id=body.city_id,
        now=clock().now(),
    )
    return OperatorCreated(
        operator_id=made.id, name=made.name, city_id=made.city_id, password=password
    ), 201


@bp.post("/couriers")
@require(Role.OPERATOR)
@spec.validate(
    json=CourierRegister,
    resp=Resp(HTTP_201=AccountRead, **ERRORS),
    tags=["accounts"],
    security=BEARER,
)
def register_courier():
    """Register a courier's number; he signs in with it by SMS code."""
    body: CourierRegister = request.context.json
    courier = accounts.register_courier(
        session=db_session(),
        actor=console(),
        name=body.name,
        phone=body.phone,
        city_id=body.city_id,
        now=clock().now(),
    )
    return account_read("courier", courier), 201


@bp.get("/accounts")
@require(Role.OPERATOR)
@spec.validate(
    query=AccountsQuery,
    resp=Resp(HTTP_200=AccountsRead, **ERRORS),
    tags=["accounts"],
    security=BEARER,
)
def list_accounts():
    """Accounts of one role the operator manages, numbers masked."""
    role = request.context.query.role
    rows = accounts.accounts(session=db_session(), actor=console(), role=Role(role))
    return AccountsRead(accounts=[account_read(role, row) for row in rows])


@bp.post(f"/accounts/{ROLE}/<{ID}:account_id>/<any(disable, enable):change>")
@require(Role.OPERATOR)
@spec.validate(resp=Resp(HTTP_200=SignedOut, **ERRORS), tags=["accounts"], security=BEARER)
def disable_or_enable(role: str, account_id: int, change: str):
    """Disable an account (its sessions and tokens end) or enable it again."""
    accounts.set_disabled(
        session=db_session(),
        actor=console(),
        role=Role(role),
        account_id=account_id,
        disabled=change == "disable",
        now=clock().now(),
    )
    return SignedOut(sessions_ended=0)


@bp.post(f"/operators/<{ID}:operator_id>/reset")
@require(Role.OPERATOR)
@spec.validate(resp=Resp(HTTP_200=PasswordRead, **ERRORS), tags=["accounts"], security=BEARER)
def reset_operator(operator_id: int):
    """A new temporary password; TOTP is enrolled again; every session ends."""
    password = accounts.reset_operator(
        session=db_session(), actor=console(), operator_id=operator_id, now=clock().now()
    )
    return PasswordRead(operator_id=operator_id, password=password)


@bp.get("/accounts/audit")
@require(Role.OPERATOR)
@spec.validate(resp=Resp(HTTP_200=AccountAuditList, **ERRORS), tags=["accounts"], security=BEARER)
def account_audit():
    """The audit trail of account changes (the operator's city; platform: all)."""
    events = list_audit(
        session=db_session(), city_id=console().city_id, target_type="account", limit=200
    )
    return AccountAuditList(events=[e.model_dump() for e in events])


@bp.post(f"/stores/<{ID}:store_id>/pairing-codes")
@require(Role.OPERATOR)
@spec.validate(resp=Resp(HTTP_201=PairingCodeRead, **ERRORS), tags=["accounts"], security=BEARER)
def issue_pairing_code(store_id: int):
    """A pairing code for one of the operator's stores (shown once, 10 minutes, single-use)."""
    actor = console()
    pairing.operator_store(session=db_session(), actor=actor, store_id=store_id)
    code, until = pairing.issue_pairing_code(
        session=db_session(), store_id=store_id, issued_by=("operator", actor.id), now=clock().now()
    )
    return PairingCodeRead(store_id=store_id, code=code, expires_at=until), 201


@bp.get(f"/stores/<{ID}:store_id>/devices")
@require(Role.OPERATOR)
@spec.validate(resp=Resp(HTTP_200=DevicesRead, **ERRORS), tags=["accounts"], security=BEARER)
def list_devices(store_id: int):
    """The store's paired tablets whose sessions are live."""
    pairing.operator_store(session=db_session(), actor=console(), store_id=store_id)
    rows = pairing.store_devices(session=db_session(), store_id=store_id)
    return DevicesRead(
        devices=[
            DeviceRead(
                session_id=r.id, label=r.label, created_at=r.created_at, refreshed_at=r.refreshed_at
            )
            for r in rows
        ]
    )


@bp.post(f"/stores/<{ID}:store_id>/devices/<{ID}:session_id>/revoke")
@require(Role.OPERATOR)
@spec.validate(resp=Resp(HTTP_200=SignedOut, **ERRORS), tags=["accounts"], security=BEARER)
def revoke_device(store_id: int, session_id: int):
    """Unpair one tablet: its session ends (every worker within the caller cache's bound)."""
    pairing.operator_store(session=db_session(), actor=console(), store_id=store_id)
    ended = pairing.revoke_device(
        session=db_session(), store_id=store_id, session_id=session_id, now=clock().now()
    )
    forget_callers(ended)
    return SignedOut(sessions_ended=len(ended))
