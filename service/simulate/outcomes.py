"""What the simulated actors saw, gathered for the report: orders, refusals, claims, visits."""

import contextlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Outcomes:
    """What the actors saw; shared by every actor (tasks of one event loop: no lock)."""

    orders: dict[int, dict] = field(default_factory=dict)
    refused: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)  # why no store could take it, summed
    claims: list[tuple[datetime, str]] = field(default_factory=list)
    visits: Counter = field(default_factory=Counter)  # ordered, browsed, never_began, refused

    def placed(self, placed: dict, store: dict, at: datetime, token: str) -> None:
        order, breakdown = placed["order"], placed["breakdown"]
        self.visits["ordered"] += 1
        self.orders[order["id"]] = {
            "store_id": store["id"],
            "category": store["category"],
            "placed_at": at,
            "token": token,
            "promised_at": order["promised_at"],
            "code": order["handoff_code"],
            "status": "PLACED",
            "subtotal_fen": breakdown["subtotal_fen"],
            "funding": breakdown.get("funding") or {},
        }

    def refuse(self, answer, code: str | None = None) -> None:
        """Count a refused quote or order by its error code (and no store's reasons)."""
        self.refused[code or answer_code(answer)] += 1
        self.visits["never_began" if code == "never_began" else "refused"] += 1
        with contextlib.suppress(AttributeError, ValueError, KeyError, TypeError):
            self.reasons.update(answer.json()["error"].get("reasons") or {})

    def left(self) -> None:
        """A visitor who browsed (and perhaps claimed a pack for later) without ordering."""
        self.visits["browsed"] += 1

    def mark(self, order_id: int, **changes) -> None:
        if order_id in self.orders:
            self.orders[order_id].update(changes)


def answer_code(answer) -> str:
    """The error code of an answer (no_answer when the call failed, http_NNN without a body)."""
    if answer is None:
        return "no_answer"
    try:
        return answer.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return f"http_{answer.status_code}"
