"""Which merchant account takes which payment method in a city, and the provider behind it.

Accounts come from the JSON file named by HD_PAYMENT_ACCOUNTS ({name: {"kind": ..., settings}});
a setting ending in `_file` is read from that file, `_env` from that environment variable, so
keys never sit in the database or the logs. A city maps methods to account names
(cities.payment_accounts); a city without a map pays everything through the `sandbox` account,
which exists only in demo and test mode.
"""

import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

from service.errors import Unprocessable
from service.payments.providers import PaymentProvider, provider_for

SANDBOX = "sandbox"
# Our payment method -> the provider's name for it.
PROVIDER_METHOD = {"wechat": "wechat", "alipay": "alipay", "digital_rmb": "ecny"}
_accounts: dict[str, dict[str, Any]] = {}
_providers: dict[str, PaymentProvider] = {}


class SandboxRefused(RuntimeError):
    """The sandbox is configured outside demo and test mode."""


def configure(settings, clock=None) -> None:
    """Load the accounts for this process; refuse the sandbox outside demo and test mode.

    `clock`: the business clock's now(), which the sandbox keeps its books by."""
    accounts = load_file(settings.payment_accounts_file)
    sandbox_ok = settings.demo or settings.testing
    if sandbox_ok:
        accounts.setdefault(SANDBOX, {"kind": "sandbox"})
    for name, account in accounts.items():
        if account.get("kind") == "sandbox":
            if not sandbox_ok:
                raise SandboxRefused(
                    f"payment account {name!r} is the sandbox; it runs only "
                    "in demo (HD_DEMO=1) or test mode"
                )
            account.setdefault("merchant", name)
            account.setdefault("secret", _derived(settings.secret_key, name))
            account.setdefault("path", settings.sandbox_path)
            account.setdefault("cashier_url", "/pay/sandbox/" + name + "/{out_trade_no}")
    _accounts.clear()
    _accounts.update(accounts)
    _providers.clear()
    if sandbox_ok:
        from service.payments.providers.sandbox import SandboxProvider

        SandboxProvider.clock = clock


def load_file(path: str | None) -> dict[str, dict[str, Any]]:
    """The accounts of a configuration file, with `_file`/`_env` settings resolved."""
    if not path:
        return {}
    raw = json.loads(Path(path).read_text())
    return {name: _resolved(values) for name, values in raw.items()}


def _resolved(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in values.items():
        if key.endswith("_file"):
            out[key.removesuffix("_file")] = Path(value).read_text()
        elif key.endswith("_env"):
            out[key.removesuffix("_env")] = os.environ[value]
        else:
            out[key] = value
    return out


def _derived(secret_key: str, name: str) -> str:
    return hmac.new(secret_key.encode(), f"sandbox:{name}".encode(), hashlib.sha256).hexdigest()


def provider(account: str) -> PaymentProvider:
    """The provider of a configured account (built once per process)."""
    found = _providers.get(account)
    if found is None:
        if account not in _accounts:
            raise LookupError(f"no payment account {account!r} is configured")
        settings = {k: v for k, v in _accounts[account].items() if k != "kind"}
        found = _providers.setdefault(account, provider_for(_accounts[account]["kind"], settings))
    return found


def accounts_of_kind(kind: str) -> list[str]:
    """The names of the configured accounts of one provider kind."""
    return [name for name, account in _accounts.items() if account.get("kind") == kind]


def kinds() -> dict[str, str]:
    """Each configured account's provider kind (names only: no setting, no key)."""
    return {name: account["kind"] for name, account in _accounts.items()}


def configured() -> list[str]:
    """Every configured account's name."""
    return list(_accounts)


def kind_of(account: str) -> str:
    """The provider kind of an account."""
    return _accounts[account]["kind"]


def account_for(city, method: str) -> tuple[str, str]:
    """(account, provider method) that takes `method` in `city`; 422 if none does."""
    mapping = getattr(city, "payment_accounts", None) or {m: SANDBOX for m in PROVIDER_METHOD}
    account = mapping.get(method)
    if account is None or account not in _accounts or method not in PROVIDER_METHOD:
        raise Unprocessable(
            f"{method} is not accepted in this city",
            code="payment_method_unavailable",
            field="payment_method",
        )
    return account, PROVIDER_METHOD[method]
