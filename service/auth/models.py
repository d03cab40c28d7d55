"""Bearer tokens and sessions, stored only as their SHA-256; one-time and pairing codes."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime


class Role(StrEnum):
    CONSUMER = "consumer"
    STORE = "store"
    COURIER = "courier"
    OPERATOR = "operator"


class ApiToken(SQLModel, table=True):
    """A random secret (shown once) bound to one principal in one role."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    # SHA-256 hex: the token carries >= 256 bits of entropy, so a fast hash is enough.
    token_hash: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=16)
    principal_id: int
    label: str = Field(default="", max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MeRead(SQLModel):
    role: Role
    principal_id: int
    name: str
    city_id: int | None = None
    token_label: str
    # Only the person sees his own number in full; None for stores and operators.
    phone: str | None = None
    phone_verified: bool = False
    signed_in_by: str = "token"


class AuthSession(SQLModel, table=True):
    """A signed-in session: a short-lived access token and a refresh token, both kept as hashes.

    method: sms (consumers, couriers), password_totp (operators), pairing (a store's tablet).
    """

    __tablename__ = "auth_sessions"
    __table_args__ = (Index("ix_auth_sessions_principal", "role", "principal_id"),)

    id: int | None = Field(default=None, primary_key=True)
    role: str = Field(max_length=16)
    principal_id: int
    method: str = Field(max_length=16)
    label: str = Field(default="", max_length=64)
    access_hash: str = Field(max_length=64, unique=True)
    access_expires_at: datetime = Field(sa_type=UTCDateTime)
    refresh_hash: str = Field(max_length=64, unique=True)
    refresh_expires_at: datetime = Field(sa_type=UTCDateTime)
    # The refresh token the last rotation spent: still good until refreshed_at plus
    # service.auth.sessions.REFRESH_REUSE_GRACE (a lost answer, two tabs refreshing at once).
    previous_refresh_hash: str | None = Field(default=None, max_length=64, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    # When the current refresh token replaced the previous one (the grace runs from here).
    refreshed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PhoneCode(SQLModel, table=True):
    """One row per number (E.164): its current one-time code (an HMAC) and its counters.

    Every change is one conditional statement on this row, so the limits are exact across
    workers and hosts: one code a minute, ten per 24-hour window, five wrong tries per window.
    """

    __tablename__ = "phone_codes"

    phone: str = Field(primary_key=True, max_length=16)
    code_hmac: str | None = Field(default=None, max_length=64)
    code_expires_at: datetime = Field(sa_type=UTCDateTime)
    last_sent_at: datetime = Field(sa_type=UTCDateTime)
    window_started_at: datetime = Field(sa_type=UTCDateTime)
    sent_in_window: int = 0
    failed_tries: int = 0


class PairingCode(SQLModel, table=True):
    """A single-use code that signs one tablet in for one store (its hash, never the code)."""

    __tablename__ = "pairing_codes"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    store_id: int = Field(foreign_key="stores.id", index=True)
    issued_by_role: str = Field(max_length=16)
    issued_by_id: int
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    session_id: int | None = None
