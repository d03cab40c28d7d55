"""The one interface every payment provider implements, and the lookup of providers by kind.

Kinds are entry points of the group `hourdelivery.payment_providers` (setup.cfg). This package
never imports the rest of `service`: providers take plain values and return plain dataclasses;
the service decides what to store. Credentials come in `settings` and never appear in messages.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib.metadata import entry_points
from typing import Any

GROUP = "hourdelivery.payment_providers"

# Trade states, as the providers say them (WeChat's words; Alipay's are mapped onto them).
NOTPAY, SUCCESS, CLOSED = "NOTPAY", "SUCCESS", "CLOSED"
# Refund states.
PROCESSING, REFUND_SUCCESS, REFUND_FAILED = "PROCESSING", "SUCCESS", "FAILED"


class ProviderError(Exception):
    """The provider could not be reached or refused the call; nothing is known to have changed."""


class NotificationRejected(Exception):
    """A notification that does not verify (signature, format); `reason` is a short code."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PayRequest:
    """A payment to open at a provider, expiring at `expire_at`.

    payer_openid: the consumer's openid under the merchant's appid (WeChat JSAPI);
    payer_ip: the consumer's address as the service saw it (WeChat H5's payer_client_ip).
    A provider that needs neither ignores them."""

    out_trade_no: str
    amount_fen: int
    method: str
    description: str
    expire_at: datetime
    notify_url: str
    payer_openid: str | None = None
    payer_ip: str | None = None


@dataclass(frozen=True)
class Prepay:
    """What the consumer's client needs to pay: a cashier URL, or SDK parameters."""

    provider_ref: str = ""
    pay_url: str | None = None
    client_params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Notification:
    """A verified notification. kind: payment | refund; status: SUCCESS, CLOSED, FAILED..."""

    kind: str
    merchant: str
    out_trade_no: str
    status: str
    amount_fen: int
    method: str | None = None
    provider_trade_no: str = ""
    out_refund_no: str | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class TradeState:
    """A payment as the provider knows it."""

    out_trade_no: str
    status: str
    amount_fen: int = 0
    method: str | None = None
    provider_trade_no: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class RefundState:
    """A refund as the provider knows it."""

    out_refund_no: str
    status: str
    amount_fen: int = 0
    reason: str = ""


@dataclass(frozen=True)
class StatementLine:
    """One line of a provider's daily statement. kind: payment | refund."""

    kind: str
    out_trade_no: str
    amount_fen: int
    out_refund_no: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class Answer:
    """The HTTP answer a provider expects to its notification."""

    status: int
    content_type: str
    body: bytes


class PaymentProvider(ABC):
    """One merchant account at one payment provider."""

    kind: str = ""
    methods: frozenset[str] = frozenset()

    @property
    @abstractmethod
    def merchant(self) -> str:
        """The merchant id notifications must name."""

    @abstractmethod
    def create(self, request: PayRequest) -> Prepay:
        """Open the payment `request` describes; the same out_trade_no twice is one payment."""

    @abstractmethod
    def parse_notification(self, headers: dict[str, str], body: bytes) -> Notification:
        """Verify and decode a notification; NotificationRejected if it does not verify."""

    @abstractmethod
    def answer(self, ok: bool) -> Answer:
        """The answer the provider expects: ok (handled, do not resend) or not."""

    @abstractmethod
    def query(self, out_trade_no: str) -> TradeState:
        """The payment's state at the provider."""

    @abstractmethod
    def close(self, out_trade_no: str) -> TradeState:
        """Close an unpaid payment; returns its state after (SUCCESS if it was paid first)."""

    @abstractmethod
    def refund(
        self, *, out_trade_no: str, out_refund_no: str, amount_fen: int, total_fen: int, reason: str
    ) -> RefundState:
        """Ask for a refund; the same out_refund_no twice is one refund."""

    @abstractmethod
    def query_refund(self, out_refund_no: str) -> RefundState:
        """The refund's state at the provider."""

    @abstractmethod
    def statement(self, day: date) -> list[StatementLine]:
        """The provider's statement of `day` (the provider's own day)."""


@cache
def provider_class(kind: str) -> type[PaymentProvider]:
    """The provider class registered under `kind` (an entry point name)."""
    found = entry_points(group=GROUP, name=kind)
    if not found:
        known = sorted(ep.name for ep in entry_points(group=GROUP))
        raise ValueError(f"unknown payment provider kind {kind!r}; known: {known}")
    return next(iter(found)).load()


def provider_for(kind: str, settings: dict[str, Any]) -> PaymentProvider:
    """A provider of `kind` configured with one merchant account's settings."""
    return provider_class(kind)(**settings)
