"""The sandbox provider of demo mode and tests: its own books and cashier, signed notifications.

Nothing here reaches a real provider. The service shows the cashier page and, when the consumer
presses a button there, calls `pay`/`fail`; the notifications the sandbox signs are handed back
to the service to deliver (now, twice, later or never, as asked), exactly as a provider's would
arrive at the notify URL.
"""

import hashlib
import hmac
import json
import secrets
from datetime import date, datetime, timedelta

from service.payments.providers import wechat_bill
from service.payments.providers.base import (
    CLOSED,
    NOTPAY,
    PROCESSING,
    REFUND_FAILED,
    REFUND_SUCCESS,
    SUCCESS,
    Answer,
    Notification,
    NotificationRejected,
    PaymentProvider,
    Prepay,
    ProviderError,
    RefundState,
    StatementLine,
    TradeState,
)
from service.payments.providers.sandbox_side import SIGNATURE, CashierSide
from service.payments.providers.sandbox_store import Books, iso, when

DELIVERIES = ("now", "twice", "late", "never")  # how the notification of a payment arrives
LATE = timedelta(minutes=2)


class SandboxProvider(CashierSide, PaymentProvider):
    """A merchant account at the sandbox (methods wechat, alipay and ecny)."""

    kind = "sandbox"
    methods = frozenset({"wechat", "alipay", "ecny"})

    # The sandbox's own time: the service hands it its business clock (demo's scaled time,
    # tests' frozen time), so its statements and the service's books speak of the same day.
    clock = None

    def __init__(self, *, merchant: str, secret: str, path: str, cashier_url: str = ""):
        self._merchant = merchant
        self._key = secret.encode()
        self.books = Books(path)
        self.cashier_url = cashier_url  # with {out_trade_no}

    @property
    def merchant(self) -> str:
        return self._merchant

    def create(self, request):
        """Open the trade (or find the one opened before under the same number); its cashier
        needs no payer details."""
        if request.method not in self.methods:
            raise ProviderError(f"the sandbox does not take {request.method}")
        with self.books.tx() as db:
            found = db.execute(
                "INSERT INTO trades (out_trade_no, merchant, amount_fen, method, status, "
                "trade_no, expire_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (out_trade_no) DO NOTHING RETURNING trade_no",
                (
                    request.out_trade_no,
                    self._merchant,
                    request.amount_fen,
                    request.method,
                    NOTPAY,
                    "sb" + secrets.token_hex(10),
                    iso(request.expire_at),
                    iso(request.expire_at),
                ),
            ).fetchall()  # the whole answer, so that the statement is done before the COMMIT
            if not found:  # opened before under this number
                found = db.execute(
                    "SELECT trade_no FROM trades WHERE out_trade_no = ?", (request.out_trade_no,)
                ).fetchall()
        url = self.cashier_url.format(out_trade_no=request.out_trade_no)
        return Prepay(
            provider_ref=found[0]["trade_no"], pay_url=url, client_params={"cashier": url}
        )

    def sign(self, body: bytes) -> str:
        """The signature the sandbox puts on a notification body."""
        return hmac.new(self._key, body, hashlib.sha256).hexdigest()

    def parse_notification(self, headers, body):
        """Verify the HMAC over the body, then read it."""
        given = headers.get(SIGNATURE, "")
        if not hmac.compare_digest(given, self.sign(body)):
            raise NotificationRejected("bad_signature")
        try:
            data = json.loads(body)
            return Notification(
                kind=data["kind"],
                merchant=data["merchant"],
                out_trade_no=data["out_trade_no"],
                status=data["status"],
                amount_fen=int(data["amount_fen"]),
                method=data.get("method"),
                provider_trade_no=data.get("trade_no", ""),
                out_refund_no=data.get("out_refund_no"),
                at=when(data.get("at")),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise NotificationRejected("malformed") from error

    def answer(self, ok):
        if ok:
            return Answer(200, "application/json", b'{"code": "SUCCESS"}')
        # WeChat's shape of a refusal, plus the service's error body (the same JSON answers both)
        body = {
            "code": "FAIL",
            "message": "notification refused",
            "error": {
                "code": "notification_refused",
                "message": "notification refused",
                "field": None,
            },
        }
        return Answer(400, "application/json", json.dumps(body).encode())

    def query(self, out_trade_no):
        row = self.books.trade(out_trade_no)
        if row is None:
            raise ProviderError("ORDER_NOT_EXIST")
        return TradeState(
            out_trade_no,
            row["status"],
            row["amount_fen"],
            row["method"],
            row["trade_no"],
            when(row["paid_at"]),
        )

    def close(self, out_trade_no):
        with self.books.tx() as db:
            db.execute(
                "UPDATE trades SET status = ? WHERE out_trade_no = ? AND status = ?",
                (CLOSED, out_trade_no, NOTPAY),
            )
        return self.query(out_trade_no)

    def refund(self, *, out_trade_no, out_refund_no, amount_fen, total_fen, reason):
        outcome = self.books.control(self._merchant, "refund_outcome", "succeed")
        status = {"succeed": REFUND_SUCCESS, "fail": REFUND_FAILED}.get(outcome, PROCESSING)
        with self.books.tx() as db:
            trade = db.execute(
                "SELECT * FROM trades WHERE out_trade_no = ?", (out_trade_no,)
            ).fetchone()
            if trade is None or trade["status"] != SUCCESS:
                raise ProviderError("TRADE_NOT_PAID")
            done = db.execute(
                "SELECT coalesce(sum(amount_fen), 0) FROM refunds WHERE "
                "out_trade_no = ? AND status != ? AND out_refund_no != ?",
                (out_trade_no, REFUND_FAILED, out_refund_no),
            ).fetchone()[0]
            if done + amount_fen > trade["amount_fen"]:
                raise ProviderError("REFUND_EXCEEDS_PAYMENT")
            db.execute(
                "INSERT INTO refunds VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (out_refund_no) DO NOTHING",
                (
                    out_refund_no,
                    out_trade_no,
                    amount_fen,
                    status,
                    iso(_utcnow()),
                    None if status == PROCESSING else iso(_utcnow()),
                ),
            )
        return self.query_refund(out_refund_no)

    def query_refund(self, out_refund_no):
        with self.books.tx() as db:
            row = db.execute(
                "SELECT * FROM refunds WHERE out_refund_no = ?", (out_refund_no,)
            ).fetchone()
        if row is None:
            raise ProviderError("REFUND_NOT_EXIST")
        return RefundState(out_refund_no, row["status"], row["amount_fen"])

    def statement(self, day: date) -> list[StatementLine]:
        return wechat_bill.parse(self.statement_csv(day))

    def statement_csv(self, day: date) -> str:
        """The day's bill (China time) in WeChat's trade-bill CSV layout."""
        start = datetime(day.year, day.month, day.day, tzinfo=wechat_bill.CHINA)
        span = (iso(start), iso(start + timedelta(days=1)))
        with self.books.tx() as db:
            trades = db.execute(
                "SELECT * FROM trades WHERE merchant = ? AND paid_at >= ? AND "
                "paid_at < ? AND off_statement = 0 ORDER BY paid_at",
                (self._merchant, *span),
            ).fetchall()
            refunds = db.execute(
                "SELECT r.* FROM refunds r JOIN trades t USING (out_trade_no) "
                "WHERE t.merchant = ? AND r.status = ? AND r.done_at >= ? AND "
                "r.done_at < ? ORDER BY r.done_at",
                (self._merchant, REFUND_SUCCESS, *span),
            ).fetchall()
        lines = [
            StatementLine(
                "payment",
                t["out_trade_no"],
                t["statement_fen"] if t["statement_fen"] is not None else t["amount_fen"],
                "",
                when(t["paid_at"]),
            )
            for t in trades
        ]
        lines += [
            StatementLine(
                "refund", r["out_trade_no"], r["amount_fen"], r["out_refund_no"], when(r["done_at"])
            )
            for r in refunds
        ]
        return wechat_bill.write(self._merchant, lines)


def _utcnow() -> datetime:
    from datetime import UTC

    return SandboxProvider.clock() if SandboxProvider.clock else datetime.now(UTC)
