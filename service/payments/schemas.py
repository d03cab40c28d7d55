"""What the API says about payments, refunds and reconciliations."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import StringConstraints
from sqlmodel import Field, SQLModel

# A consumer's openid under the merchant's WeChat appid (28 characters today; WeChat promises
# letters, digits, - and _ only).
OpenId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
OPENID = "WeChat JSAPI (in WeChat): the consumer's openid under the merchant's appid; else H5"


class PaymentRead(SQLModel):
    provider: str
    method: str
    status: str = Field(description="OPEN (waiting), PAID or CLOSED (never paid)")
    amount_fen: int
    pay_url: str | None = Field(description="the cashier to send the consumer to, if any")
    client_params: dict[str, Any] = Field(description="what a provider's SDK needs to pay")
    pay_by: datetime
    paid_at: datetime | None


class PayIn(SQLModel):
    payer_openid: OpenId | None = Field(default=None, description=OPENID)


class RefundRead(SQLModel):
    id: int
    order_id: int
    out_refund_no: str
    amount_fen: int
    reason: str
    status: str
    failure: str
    requested_at: datetime
    finished_at: datetime | None


class RefundsQuery(SQLModel):
    status: Literal["FAILED", "REQUESTED"] = Field(
        default="FAILED", description="FAILED: waiting for an operator; REQUESTED: still pending"
    )


class RefundsRead(SQLModel):
    refunds: list[RefundRead]


class PaymentsQuery(SQLModel):
    status: str | None = Field(default=None, max_length=16)
    city_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    limit: int = Field(default=50, ge=1, le=200)


class PaymentRow(PaymentRead):
    order_id: int
    account: str
    out_trade_no: str


class PaymentsRead(SQLModel):
    payments: list[PaymentRow]


class ReconciliationRead(SQLModel):
    id: int
    account: str
    day: date
    status: str
    statement_lines: int
    matched: int
    missing_here: int
    missing_there: int
    amount_differs: int
    computed_at: datetime
    lines: list[dict[str, Any]] = Field(default_factory=list)


class ReconciliationsRead(SQLModel):
    reconciliations: list[ReconciliationRead]


class RerunIn(SQLModel):
    account: str = Field(min_length=1, max_length=64)
    day: date
