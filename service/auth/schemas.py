"""Request and response models of sign-in, sessions, pairing and account management."""

from datetime import datetime
from typing import Literal

from sqlmodel import Field, SQLModel

from service.pricing.schemas import Id

PhoneText = str
SignInRole = Literal["consumer", "courier"]


class CodeRequest(SQLModel):
    phone: PhoneText = Field(min_length=1, max_length=32)


class CodeSent(SQLModel):
    """The same answer whether or not the number has an account."""

    sent: bool = True
    expires_in_s: int
    resend_after_s: int
    # Demo mode with the sink sender only: the code that would have gone out by SMS.
    demo_code: str | None = None


class PhoneSignIn(SQLModel):
    phone: PhoneText = Field(min_length=1, max_length=32)
    code: str = Field(min_length=1, max_length=12)
    role: SignInRole = "consumer"


class RefreshIn(SQLModel):
    refresh_token: str = Field(min_length=1, max_length=128)


class SessionRead(SQLModel):
    session_id: int
    role: str
    principal_id: int
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


class SignedOut(SQLModel):
    sessions_ended: int


class OperatorSignIn(SQLModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    totp: str | None = Field(default=None, max_length=12)


class PairIn(SQLModel):
    code: str = Field(min_length=1, max_length=32)
    device_name: str = Field(default="", max_length=64)


class PairingCodeRead(SQLModel):
    store_id: int
    code: str
    expires_at: datetime


class DeviceRead(SQLModel):
    session_id: int
    label: str
    created_at: datetime
    refreshed_at: datetime | None = None


class DevicesRead(SQLModel):
    devices: list[DeviceRead]


class OperatorCreate(SQLModel):
    name: str = Field(min_length=1, max_length=64)
    city_id: Id | None = None


class OperatorCreated(SQLModel):
    operator_id: int
    name: str
    city_id: int | None
    # Shown once: the operator signs in with it, then enrols TOTP.
    password: str


class CourierRegister(SQLModel):
    name: str = Field(min_length=1, max_length=64)
    phone: PhoneText = Field(min_length=1, max_length=32)
    city_id: Id


class AccountRead(SQLModel):
    role: str
    id: int
    name: str
    phone: str | None = None  # masked
    city_id: int | None = None
    disabled: bool = False


class AccountsRead(SQLModel):
    accounts: list[AccountRead]


class EnrolmentRead(SQLModel):
    """Password accepted, TOTP not yet enrolled: add this secret, then sign in with a code."""

    totp_required: bool = True
    secret: str
    otpauth_uri: str
    qr_svg: str


class PasswordRead(SQLModel):
    operator_id: int
    password: str


class AccountsQuery(SQLModel):
    role: Literal["consumer", "courier", "operator"] = "courier"


class AccountAuditRead(SQLModel):
    id: int
    at: datetime
    actor_id: int | None
    action: str
    target_id: int | None
    old: dict
    new: dict


class AccountAuditList(SQLModel):
    events: list[AccountAuditRead]
