"""Sign-in routes: SMS codes, phone, operator and tablet sign-in, refresh, sign-out.

Every route a caller without a session uses is rate-limited per client address."""

import time

from flask import Blueprint, request

from service.auth import limits
from service.auth.codes import CODE_TTL, RESEND_AFTER
from service.auth.models import Role
from service.auth.operators import Enrolment, sign_in_operator
from service.auth.pairing import manager_pairing, pair_device
from service.auth.schemas import (
    CodeRequest,
    CodeSent,
    EnrolmentRead,
    OperatorSignIn,
    PairIn,
    PairingCodeRead,
    PhoneSignIn,
    RefreshIn,
    SessionRead,
    SignedOut,
)
from service.auth.sessions import refresh_session
from service.auth.setup import demo_mode, secret_key, sms_sender
from service.auth.signin import send_code, sign_in_by_phone
from service.auth.signout import sign_out
from service.web.auth import BEARER, caller, require
from service.web.context import clock, db_session
from service.web.spec import Resp, spec

bp = Blueprint("sign_in", __name__, url_prefix="/v1/auth")
limiter = limits.limiter
REFUSALS = {"HTTP_401": None, "HTTP_403": None, "HTTP_429": None}


@bp.post("/code")
@limiter.limit(limits.CODE_REQUESTS)
@spec.validate(
    json=CodeRequest, resp=Resp(HTTP_202=CodeSent, HTTP_429=None, HTTP_503=None), tags=["auth"]
)
def code():
    """Send a sign-in code by SMS (the same answer whether or not the number has an account)."""
    body: CodeRequest = request.context.json
    receipt = send_code(
        session=db_session(),
        phone=body.phone,
        sender=sms_sender(),
        secret_key=secret_key(),
        now=clock().now(),
    )
    shown = receipt.shown_code if demo_mode() else None
    answer = CodeSent(
        expires_in_s=int(CODE_TTL.total_seconds()),
        demo_code=shown,
        resend_after_s=int(RESEND_AFTER.total_seconds()),
    )
    return answer, 202


@bp.post("/sign-in")
@limiter.limit(limits.PHONE_SIGN_INS)
@spec.validate(json=PhoneSignIn, resp=Resp(HTTP_201=SessionRead, **REFUSALS), tags=["auth"])
def sign_in():
    """Spend the code sent to the number: a session for its consumer (or courier)."""
    body: PhoneSignIn = request.context.json
    tokens = sign_in_by_phone(
        session=db_session(),
        phone=body.phone,
        code=body.code,
        role=body.role,
        secret_key=secret_key(),
        now=clock().now(),
        label=request.user_agent.string[:64],
    )
    return SessionRead.model_validate(tokens, from_attributes=True), 201


@bp.post("/operator/sign-in")
@limiter.limit(limits.OPERATOR_SIGN_INS)
@spec.validate(
    json=OperatorSignIn,
    resp=Resp(HTTP_200=EnrolmentRead, HTTP_201=SessionRead, **REFUSALS),
    tags=["auth"],
)
def operator_sign_in():
    """Password and TOTP: a console session (or, at first, the TOTP secret to enrol)."""
    body: OperatorSignIn = request.context.json
    answer = sign_in_operator(
        session=db_session(),
        username=body.username,
        password=body.password,
        totp=body.totp,
        secret_key=secret_key(),
        now=clock().now(),
        unix_time=time.time(),
        label=request.user_agent.string[:64],
    )
    if isinstance(answer, Enrolment):
        return EnrolmentRead.model_validate(answer, from_attributes=True)
    return SessionRead.model_validate(answer, from_attributes=True), 201


@bp.post("/pair")
@limiter.limit(limits.PAIRINGS)
@limiter.shared_limit(limits.PAIRINGS_OVERALL, scope="pairing-overall", key_func=limits.everyone)
@spec.validate(json=PairIn, resp=Resp(HTTP_201=SessionRead, **REFUSALS), tags=["auth"])
def pair():
    """A tablet enters its store's pairing code once: a device session for that store."""
    body: PairIn = request.context.json
    tokens = pair_device(
        session=db_session(), code=body.code, device_name=body.device_name, now=clock().now()
    )
    return SessionRead.model_validate(tokens, from_attributes=True), 201


@bp.post("/pairing-codes")
@require(Role.STORE)
@spec.validate(
    resp=Resp(HTTP_201=PairingCodeRead, HTTP_401=None, HTTP_403=None),
    tags=["auth"],
    security=BEARER,
)
def manager_pairing_code():
    """The store's manager account (its API token, not a paired tablet) pairs another tablet."""
    code, until = manager_pairing(session=db_session(), token=caller(), now=clock().now())
    return PairingCodeRead(store_id=caller().principal_id, code=code, expires_at=until), 201


@bp.post("/refresh")
@limiter.limit(limits.REFRESHES)
@spec.validate(json=RefreshIn, resp=Resp(HTTP_200=SessionRead, **REFUSALS), tags=["auth"])
def refresh():
    """New access and refresh tokens for a live session (the refresh token given is spent; the
    one spent last still works for a minute after, docs/sign-in.md)."""
    body: RefreshIn = request.context.json
    tokens = refresh_session(
        session=db_session(), refresh_token=body.refresh_token, now=clock().now()
    )
    return SessionRead.model_validate(tokens, from_attributes=True)


@bp.post("/sign-out")
@require()
@spec.validate(resp=Resp(HTTP_200=SignedOut, HTTP_401=None), tags=["auth"], security=BEARER)
def sign_out_here():
    """End this session (an API token is revoked)."""
    return sign_out(session=db_session(), token=caller(), everywhere=False, now=clock().now())


@bp.post("/sign-out-everywhere")
@require()
@spec.validate(resp=Resp(HTTP_200=SignedOut, HTTP_401=None), tags=["auth"], security=BEARER)
def sign_out_everywhere():
    """End every session of the caller's account, on every device."""
    return sign_out(session=db_session(), token=caller(), everywhere=True, now=clock().now())
