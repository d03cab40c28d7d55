"""Keys derived from the app's secret key: HMACs of one-time codes, encryption of TOTP secrets."""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def keyed_hash(secret_key: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 hex of `value` under a key for `purpose`: a leaked table reveals no code."""
    return hmac.new(_derive(secret_key, purpose), value.encode(), hashlib.sha256).hexdigest()


def encrypt(secret_key: str, plain: str) -> str:
    """Fernet (AES-128-CBC + HMAC) under a key derived for stored secrets."""
    return _fernet(secret_key).encrypt(plain.encode()).decode()


def decrypt(secret_key: str, token: str) -> str:
    """The plain text `encrypt` was given."""
    return _fernet(secret_key).decrypt(token.encode()).decode()


@cache
def _derive(secret_key: str, purpose: str) -> bytes:
    # HKDF, so the HMAC keys and the encryption key never equal the secret key or each other.
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
    return kdf.derive(secret_key.encode())


@cache
def _fernet(secret_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(secret_key, "stored-secrets")))
