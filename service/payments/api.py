"""Payment routes: providers' notifications, the sandbox cashier, the operator's lists."""

from flask import Blueprint, Response, render_template, request

from service.auth.models import Role
from service.payments import accounts, admin, cashier, daily, settle
from service.payments.schemas import (
    PaymentsQuery,
    PaymentsRead,
    ReconciliationRead,
    ReconciliationsRead,
    RefundRead,
    RefundsQuery,
    RefundsRead,
    RerunIn,
)
from service.web.auth import BEARER, require
from service.web.context import clock, database, db_session, read_only
from service.web.operator import current_operator
from service.web.spec import ID, Resp, spec

bp = Blueprint("payments", __name__)
ERRORS = {"HTTP_401": None, "HTTP_403": None, "HTTP_404": None, "HTTP_409": None, "HTTP_422": None}


def raw_body(view):
    """The view reads its own body (a provider's format, or the cashier's form)."""
    view.raw_body = True
    return view


def _local(back) -> str:
    """Where the cashier's "back" link leads: a path of this site only (never another site)."""
    back = str(back or "/")
    local = back.startswith("/") and not back.startswith("//") and "\\" not in back
    return back if local else "/"


@bp.get("/admin/payments")
def console_page():
    """The console's payments page; it signs in with an operator token and reads the API."""
    return render_template("payments_admin.html", merchant_accounts=accounts.kinds())


@bp.post("/v1/payments/notify/<kind>")
@raw_body
@spec.validate(resp=Resp(HTTP_200=None, HTTP_400=None, HTTP_404=None), tags=["payments"])
def notify(kind: str):
    """A provider's notification (public; trusted only once its signature verifies)."""
    answer = settle.receive(
        db_session(),
        kind=kind[:32],
        headers=dict(request.headers),
        body=request.get_data(cache=True),
        now=clock().now(),
    )
    return Response(answer.body, status=answer.status, content_type=answer.content_type)


@bp.get("/pay/sandbox/<account>/<out_trade_no>")
@spec.validate(resp=Resp(HTTP_200=None, HTTP_404=None), tags=["payments"])
def cashier_page(account: str, out_trade_no: str):
    """The sandbox's cashier page (demo and tests): pay, fail or abandon."""
    view = cashier.cashier_view(database(), account=account[:64], out_trade_no=out_trade_no[:32])
    return render_template("sandbox_cashier.html", **view, back=_local(request.args.get("back")))


# Its own units of work write (around a provider call): the request's session only reads.
@bp.post("/pay/sandbox/<account>/<out_trade_no>")
@read_only
@raw_body
@spec.validate(resp=Resp(HTTP_200=None, HTTP_404=None, HTTP_409=None), tags=["payments"])
def cashier_press(account: str, out_trade_no: str):
    """A cashier button; JSON or the page's form: action, deliver (now/twice/late/never)."""
    form = request.get_json(silent=True) if request.is_json else request.form
    form = form if isinstance(form, dict) or hasattr(form, "get") else {}
    done = cashier.press(
        database(),
        account=account[:64],
        out_trade_no=out_trade_no[:32],
        action=str(form.get("action", "")),
        deliver=str(form.get("deliver", "now")),
        now=clock().now(),
    )
    if request.is_json:
        return done
    return render_template(
        "sandbox_cashier.html",
        done=done,
        back=_local(form.get("back")),
        **cashier.cashier_view(database(), account=account[:64], out_trade_no=out_trade_no[:32]),
    )


@bp.get("/v1/admin/payments")
@require(Role.OPERATOR)
@spec.validate(
    query=PaymentsQuery,
    resp=Resp(HTTP_200=PaymentsRead, **ERRORS),
    tags=["payments"],
    security=BEARER,
)
def payments():
    """Payments, newest first (by status and city)."""
    return admin.payments(
        session=db_session(), operator=current_operator(), query=request.context.query
    )


@bp.get("/v1/admin/refunds")
@require(Role.OPERATOR)
@spec.validate(
    query=RefundsQuery,
    resp=Resp(HTTP_200=RefundsRead, **ERRORS),
    tags=["payments"],
    security=BEARER,
)
def refunds():
    """Refunds that need an operator (failed at the provider; ?status=REQUESTED: still
    pending there), oldest first."""
    status = request.context.query.status
    return admin.refunds_in(session=db_session(), operator=current_operator(), status=status)


@bp.post(f"/v1/admin/refunds/<{ID}:refund_id>/retry")
@require(Role.OPERATOR)
@spec.validate(resp=Resp(HTTP_200=RefundRead, **ERRORS), tags=["payments"], security=BEARER)
def retry_refund(refund_id: int):
    """Ask again for a failed refund (under a new refund number)."""
    return admin.retry_refund(
        session=db_session(), operator=current_operator(), refund_id=refund_id, now=clock().now()
    )


@bp.get("/v1/admin/reconciliations")
@require(Role.OPERATOR)
@spec.validate(
    resp=Resp(HTTP_200=ReconciliationsRead, **ERRORS), tags=["payments"], security=BEARER
)
def reconciliations():
    """Each merchant account's reconciled days, newest first."""
    return daily.listing(db_session(), current_operator())


@bp.get(f"/v1/admin/reconciliations/<{ID}:reconciliation_id>")
@require(Role.OPERATOR)
@spec.validate(resp=Resp(HTTP_200=ReconciliationRead, **ERRORS), tags=["payments"], security=BEARER)
def reconciliation(reconciliation_id: int):
    """One day's result with its differing lines."""
    session = db_session()
    found = daily.one(session, current_operator(), reconciliation_id)
    return daily.read(session, found, with_lines=True)


@bp.get(f"/v1/admin/reconciliations/<{ID}:reconciliation_id>/csv")
@require(Role.OPERATOR)
@spec.validate(resp=Resp(HTTP_200=None, **ERRORS), tags=["payments"], security=BEARER)
def reconciliation_csv(reconciliation_id: int):
    """One day's differing lines as CSV, for the finance office."""
    session = db_session()
    found = daily.one(session, current_operator(), reconciliation_id)
    name = f"reconciliation-{found.account}-{found.day.isoformat()}.csv"
    return Response(
        daily.as_csv(session, found),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# Its own units of work write (around a provider call): the request's session only reads.
@bp.post("/v1/admin/reconciliations/rerun")
@read_only
@require(Role.OPERATOR)
@spec.validate(
    json=RerunIn,
    resp=Resp(HTTP_200=ReconciliationRead, **ERRORS),
    tags=["payments"],
    security=BEARER,
)
def rerun():
    """Fetch a day's statement again and match it anew."""
    body: RerunIn = request.context.json
    return daily.rerun(database(), account=body.account, day=body.day, now=clock().now())
