"""Ports (store systems, payment providers, SMS senders) stay small and apart from the service."""

import ast
import inspect
from importlib.metadata import entry_points
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Each port: its folder, its own package name, its entry-point group and kinds it must offer.
PORTS = [
    ("store_adapters", "store_adapters", {"csv", "json_api", "delta", "manual", "fake"}),
    ("service/payments/providers", "payment_providers", {"sandbox", "wechatpay_v3", "alipay"}),
    ("service/auth/sms", "sms_senders", {"sink", "aliyun"}),
]


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at module level or inside a function."""
    tree = ast.parse(path.read_text())
    names = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    return names | {
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    }


@pytest.mark.parametrize(("folder", "group", "kinds"), PORTS, ids=[p[1] for p in PORTS])
def test_kinds_are_entry_points_not_imports_of_the_base_module(folder, group, kinds):
    assert kinds <= {ep.name for ep in entry_points(group=f"hourdelivery.{group}")}
    package = folder.replace("/", ".")
    assert not any(name.startswith(package) for name in imported_modules(ROOT / folder / "base.py"))


@pytest.mark.parametrize(("folder", "group", "kinds"), PORTS, ids=[p[1] for p in PORTS])
def test_ports_never_import_the_rest_of_the_service(folder, group, kinds):
    package = folder.replace("/", ".")
    for module in (ROOT / folder).glob("*.py"):
        for name in imported_modules(module):
            inside = name == package or name.startswith(package + ".")
            assert inside or name.split(".")[0] != "service", f"{module.name} imports {name}"


def test_every_payment_provider_opens_a_payment_from_one_pay_request():
    for kind in PORTS[1][2]:
        provider = entry_points(group="hourdelivery.payment_providers", name=kind)
        parameters = inspect.signature(next(iter(provider)).load().create).parameters
        assert list(parameters) == ["self", "request"], kind
