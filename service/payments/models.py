"""Payments, refunds and the daily reconciliation with each provider's statement."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime

# Payment states: OPEN (waiting for the consumer), PAID, CLOSED (never paid).
OPEN, PAID, CLOSED = "OPEN", "PAID", "CLOSED"
# Refund states.
REQUESTED, SUCCEEDED, FAILED = "REQUESTED", "SUCCEEDED", "FAILED"
REFUND_MAX_ATTEMPTS = 5  # unanswered asks before a refund waits for an operator
LEGACY = "legacy"  # the provider of orders placed before payments existed: never matched


class Payment(SQLModel, table=True):
    """One payment per order, for the order's payable."""

    __tablename__ = "payments"
    __table_args__ = (
        Index("uq_payments_order_id", "order_id", unique=True),
        Index("uq_payments_out_trade_no", "out_trade_no", unique=True),
        Index("ix_payments_status_pay_by", "status", "pay_by"),
        Index("ix_payments_account_paid_at", "account", "paid_at"),
        CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    city_id: int = Field(foreign_key="cities.id")
    order_id: int = Field(foreign_key="orders.id")
    consumer_id: int = Field(foreign_key="consumers.id")
    provider: str = Field(max_length=32)
    account: str = Field(max_length=64)  # the merchant account's name in the configuration
    method: str = Field(max_length=32)  # the provider's method (wechat, alipay, ecny)
    out_trade_no: str = Field(max_length=32)  # ours, random; the provider's order number
    amount_fen: int = Field(sa_type=BigInteger)
    status: str = Field(default=OPEN, max_length=16)
    pay_url: str | None = Field(default=None, max_length=512)
    client_params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    provider_trade_no: str = Field(default="", max_length=64)
    pay_by: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # last query


class Refund(SQLModel, table=True):
    """Money going back through the provider; never more than paid less other live refunds."""

    __tablename__ = "refunds"
    __table_args__ = (
        Index("uq_refunds_out_refund_no", "out_refund_no", unique=True),
        Index("ix_refunds_payment_id", "payment_id"),
        Index("ix_refunds_status_requested", "status", "requested_at"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    city_id: int = Field(foreign_key="cities.id")
    order_id: int = Field(foreign_key="orders.id")
    payment_id: int = Field(foreign_key="payments.id")
    out_refund_no: str = Field(max_length=64)
    amount_fen: int = Field(sa_type=BigInteger)
    reason: str = Field(max_length=64)
    status: str = Field(default=REQUESTED, max_length=16)
    failure: str = Field(default="", max_length=128)
    attempts: int = 0
    requested_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Reconciliation(SQLModel, table=True):
    """One merchant account's statement of one provider day, matched with our books."""

    __tablename__ = "reconciliations"
    __table_args__ = (Index("uq_reconciliations_account_day", "account", "day", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    city_id: int = Field(foreign_key="cities.id")
    account: str = Field(max_length=64)
    day: date
    status: str = Field(max_length=16)  # reconciled | differs
    statement_lines: int = 0
    matched: int = 0
    missing_here: int = 0
    missing_there: int = 0
    amount_differs: int = 0
    computed_at: datetime = Field(sa_type=UTCDateTime)


class ReconciliationLine(SQLModel, table=True):
    """One line that differs: missing here, missing there, or amounts that differ."""

    __tablename__ = "reconciliation_lines"
    __table_args__ = (Index("ix_reconciliation_lines_run", "reconciliation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    reconciliation_id: int = Field(foreign_key="reconciliations.id")
    city_id: int = Field(foreign_key="cities.id")
    outcome: str = Field(max_length=16)  # missing_here | missing_there | amount_differs
    kind: str = Field(max_length=16)  # payment | refund
    out_trade_no: str = Field(max_length=32)
    out_refund_no: str = Field(default="", max_length=64)
    ours_fen: int | None = Field(default=None, sa_type=BigInteger)
    theirs_fen: int | None = Field(default=None, sa_type=BigInteger)
