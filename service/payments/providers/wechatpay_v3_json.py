"""WeChat Pay API v3's JSON (answers and decrypted notification resources) read into the port's
dataclasses, and WeChat's trade and refund states mapped onto the port's."""

from datetime import datetime
from zoneinfo import ZoneInfo

from service.payments.providers.base import (
    CLOSED,
    NOTPAY,
    PROCESSING,
    REFUND_FAILED,
    REFUND_SUCCESS,
    SUCCESS,
    Notification,
    RefundState,
    TradeState,
)

CHINA = ZoneInfo("Asia/Shanghai")
TRADE_STATES = {
    "SUCCESS": SUCCESS,
    "REFUND": SUCCESS,  # paid, then (partly) refunded: the payment itself succeeded
    "NOTPAY": NOTPAY,
    "USERPAYING": NOTPAY,
    "CLOSED": CLOSED,
    "REVOKED": CLOSED,
    "PAYERROR": CLOSED,
}
REFUND_STATES = {
    "SUCCESS": REFUND_SUCCESS,
    "PROCESSING": PROCESSING,
    "CLOSED": REFUND_FAILED,
    "ABNORMAL": REFUND_FAILED,
}
HEADERS = ("Signature", "Timestamp", "Nonce", "Serial", "Signature-Type")


def wechat_headers(headers: dict[str, str]) -> dict[str, str]:
    """The Wechatpay-* headers under the names the SDK reads, whatever their case here."""
    lower = {key.lower(): value for key, value in headers.items()}
    return {f"Wechatpay-{name}": lower.get(f"wechatpay-{name.lower()}", "") for name in HEADERS}


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def trade(data: dict) -> TradeState:
    return TradeState(
        out_trade_no=data["out_trade_no"],
        status=TRADE_STATES.get(data["trade_state"], NOTPAY),
        amount_fen=int(data.get("amount", {}).get("total", 0)),
        method="wechat",
        provider_trade_no=data.get("transaction_id", ""),
        at=_when(data.get("success_time")),
    )


def refund(data: dict) -> RefundState:
    return RefundState(
        out_refund_no=data["out_refund_no"],
        status=REFUND_STATES.get(data.get("status", ""), PROCESSING),
        amount_fen=int(data.get("amount", {}).get("refund", 0)),
        reason=data.get("status", ""),
    )


def notification(event: str, resource: dict) -> Notification:
    if event.startswith("REFUND."):
        return Notification(
            kind="refund",
            merchant=resource["mchid"],
            out_trade_no=resource["out_trade_no"],
            status=REFUND_STATES.get(resource["refund_status"], PROCESSING),
            amount_fen=int(resource["amount"]["refund"]),
            method="wechat",
            provider_trade_no=resource.get("transaction_id", ""),
            out_refund_no=resource["out_refund_no"],
            at=_when(resource.get("success_time")),
        )
    paid = trade(resource)
    return Notification(
        kind="payment",
        merchant=resource["mchid"],
        out_trade_no=paid.out_trade_no,
        status=paid.status,
        amount_fen=paid.amount_fen,
        method=paid.method,
        provider_trade_no=paid.provider_trade_no,
        at=paid.at,
    )
