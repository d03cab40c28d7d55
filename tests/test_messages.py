"""The message catalogue lists every code the service can answer with, so the pages can put
each into words: found by reading the service's source, not by a list kept in this test."""

import ast
from importlib.metadata import entry_points
from pathlib import Path

from service.deliveries import models as deliveries
from service.orders import states
from service.orders.explain import REASONS
from service.tablet.schemas import RejectReason
from service.web.errors import HTTP_CODES
from service.web.messages import CATALOGUE

SERVICE = Path(__file__).resolve().parent.parent / "service"
# `kind=` literals that name no event: a ledger entry's kind, a provider's notification or
# statement line (payment | refund), and the kinds of the ports that live in service/ (payment
# providers, SMS senders: each class says its `kind`).
PORT_KINDS = {
    point.name
    for group in ("hourdelivery.payment_providers", "hourdelivery.sms_senders")
    for point in entry_points(group=group)
}
NOT_EVENTS = {"refund", "payment"} | PORT_KINDS


def _literals(keyword: str) -> set[str]:
    """String literals given as `keyword=` to any call, set as a class's `keyword = ...`, or
    defaulted for a parameter named `keyword`, anywhere in service/."""
    found: set[str] = set()
    for path in SERVICE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            values = []
            if isinstance(node, ast.Call):
                values = [k.value for k in node.keywords if k.arg == keyword]
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == keyword for t in node.targets
            ):
                values = [node.value]
            elif isinstance(node, ast.arguments):
                named = [*node.posonlyargs, *node.args][-len(node.defaults) or len(node.args) :]
                values = [
                    d for a, d in zip(named, node.defaults, strict=False) if a.arg == keyword
                ] + [
                    d
                    for a, d in zip(node.kwonlyargs, node.kw_defaults, strict=True)
                    if a.arg == keyword and d
                ]
            found |= {
                v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)
            }
    return found


def test_every_error_code_in_the_source_is_in_the_catalogue():
    codes = _literals("code") | set(HTTP_CODES.values()) | {"validation_error", "internal"}
    missing = sorted(c for c in codes if c not in CATALOGUE["error_code"])
    assert not missing, f"add these to service/web/messages.py ERROR_CODE: {missing}"


def test_every_status_event_kind_and_reason_is_in_the_catalogue():
    order_statuses = {s for s in vars(states).values() if isinstance(s, str) and s.isupper()}
    assert order_statuses <= set(CATALOGUE["order_status"])
    delivery_statuses = {
        deliveries.WAITING,
        deliveries.OFFERED,
        *deliveries.HELD,
        *deliveries.CLOSED,
    }
    assert delivery_statuses <= set(CATALOGUE["delivery_status"])
    kinds = _literals("kind") | {s.lower() for s in states.TRANSITIONS}
    kinds -= {"every_threshold", "threshold"}  # promotion kinds, not events
    kinds -= NOT_EVENTS
    missing = sorted(k for k in kinds if k not in CATALOGUE["event_kind"])
    assert not missing, f"add these to EVENT_KIND: {missing}"
    assert set(REASONS) <= set(CATALOGUE["refusal_reason"])
    assert {r.value for r in RejectReason} <= set(CATALOGUE["reject_reason"])
    assert {f"rejected:{r.value}" for r in RejectReason} <= set(CATALOGUE["reassign_reason"])


def test_every_sentence_is_a_sentence_and_the_catalogue_is_served(client):
    for group, codes in CATALOGUE.items():
        for code, text in codes.items():
            assert text and text[0].isupper(), (group, code)
    answer = client.get("/v1/messages")
    assert answer.status_code == 200
    assert answer.json["error_code"]["share_expired"].startswith("This tracking link")
    assert set(answer.json) == set(CATALOGUE)


def test_error_messages_read_as_sentences(client):
    refused = client.get("/v1/places/search", query_string={"q": ""}).json["error"]
    assert refused["message"][0].isupper() and refused["message"].endswith(".")
    assert refused["message"].endswith("(q).") and refused["field"] == "q"
    missing = client.get("/v1/stores/999999999").json["error"]
    assert missing["message"][0].isupper() and missing["message"].endswith(".")
