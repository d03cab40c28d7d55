"""Operators' passwords (argon2id) and second factor (TOTP).

argon2id at OWASP's recommended minimum (19 MiB, 2 iterations, 1 lane): about 50 ms here (see
tests/bench/sign_in.py, key argon2_ms). An unknown username is checked against a dummy hash
of the same cost, so the answer takes as long. TOTP: 30-second steps, one step of skew either
way, a step once accepted is refused after (operators.totp_last_step), secrets stored
encrypted (service.auth.keys).
"""

import hmac
import secrets
from functools import cache

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
ISSUER = "小时达运营"


def hash_password(password: str) -> str:
    """argon2id PHC string of `password`."""
    return HASHER.hash(password)


def check_password(stored: str | None, password: str) -> bool:
    """True if `password` matches; with no stored hash, spends the same time and says False."""
    try:
        return HASHER.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def new_password() -> str:
    """A temporary password for a new or reset account (shown once)."""
    return secrets.token_urlsafe(12)


def new_totp_secret() -> str:
    """A random base32 TOTP secret (160 bits)."""
    return pyotp.random_base32(32)


def totp_uri(secret: str, username: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def totp_qr_svg(uri: str) -> str:
    """The URI as a QR code, an SVG data URI for an <img>."""
    return segno.make(uri, error="m").svg_data_uri(scale=4)


def matching_step(secret: str, code: str, unix_time: float) -> int | None:
    """The time step (now, one before or one after) whose code is `code`, else None."""
    totp = pyotp.TOTP(secret)
    current = int(unix_time) // totp.interval
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), (code or "").strip()):
            return step
    return None


@cache
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(16))
