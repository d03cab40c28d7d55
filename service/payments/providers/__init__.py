"""Ports to payment providers: one module per kind, all behind PaymentProvider (see base.py)."""

from service.payments.providers.base import (
    Answer,
    Notification,
    NotificationRejected,
    PaymentProvider,
    PayRequest,
    Prepay,
    ProviderError,
    RefundState,
    StatementLine,
    TradeState,
    provider_for,
)

__all__ = [
    "Answer",
    "Notification",
    "NotificationRejected",
    "PaymentProvider",
    "PayRequest",
    "Prepay",
    "ProviderError",
    "RefundState",
    "StatementLine",
    "TradeState",
    "provider_for",
]
