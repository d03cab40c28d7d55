"""The sandbox's own side: the cashier's buttons, its switches and its queued notifications
(what a real provider does on its servers; the service calls these only for the sandbox)."""

import json
from datetime import datetime

from service.payments.providers.base import NOTPAY, PROCESSING, SUCCESS
from service.payments.providers.sandbox_store import iso

REFUND_OUTCOMES = ("succeed", "fail", "pending")
SIGNATURE = "X-Sandbox-Signature"


class CashierSide:
    """Mixed into SandboxProvider (which gives books, merchant, sign and iso times)."""

    def pay(self, out_trade_no: str, now: datetime) -> bytes | None:
        """The consumer pays at the cashier: the signed notification body, or None if refused."""
        with self.books.tx() as db:
            paid = db.execute(
                "UPDATE trades SET status = ?, paid_at = ? WHERE out_trade_no = ? "
                "AND status = ? AND expire_at > ?",
                (SUCCESS, iso(now), out_trade_no, NOTPAY, iso(now)),
            ).rowcount
        return self.payment_notice(out_trade_no, now) if paid else None

    def payment_notice(self, out_trade_no: str, now: datetime) -> bytes:
        """The notification body of a trade as it stands."""
        row = self.books.trade(out_trade_no)
        return self.notice(
            {
                "kind": "payment",
                "merchant": self._merchant,
                "out_trade_no": out_trade_no,
                "status": row["status"],
                "amount_fen": row["amount_fen"],
                "method": row["method"],
                "trade_no": row["trade_no"],
                "at": iso(now),
            }
        )

    def notice(self, data: dict) -> bytes:
        """A notification body in the sandbox's format (signed by `headers_for`)."""
        return json.dumps(data, sort_keys=True).encode()

    def headers_for(self, body: bytes) -> dict[str, str]:
        """The headers a notification carries: its signature."""
        return {SIGNATURE: self.sign(body), "Content-Type": "application/json"}

    def queue(self, body: bytes, due_at: datetime) -> None:
        """Send this notification at `due_at` (see `due`)."""
        self.books.queue(self._merchant, body, due_at)

    def due(self, now: datetime) -> list[bytes]:
        """The late notifications whose time has come."""
        return self.books.take_due(self._merchant, now)

    def set_refund_outcome(self, outcome: str) -> None:
        """How refunds asked from now on end: succeed, fail or pending."""
        if outcome not in REFUND_OUTCOMES:
            raise ValueError(outcome)
        self.books.set_control(self._merchant, "refund_outcome", outcome)

    def settle_refund(self, out_refund_no: str, status: str, now: datetime) -> None:
        """End a pending refund (as the provider would, some time later)."""
        with self.books.tx() as db:
            db.execute(
                "UPDATE refunds SET status = ?, done_at = ? WHERE out_refund_no = ? AND status = ?",
                (status, iso(now), out_refund_no, PROCESSING),
            )

    def tamper(
        self, out_trade_no: str, *, amount_fen: int | None = None, off_statement: bool = False
    ) -> None:
        """Make the statement differ from the truth (for reconciliation drills)."""
        with self.books.tx() as db:
            db.execute(
                "UPDATE trades SET statement_fen = ?, off_statement = ? WHERE out_trade_no = ?",
                (amount_fen, int(off_statement), out_trade_no),
            )
