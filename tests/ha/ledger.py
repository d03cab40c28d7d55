"""What the service acknowledged under the HA load (tests/ha/load.py), and every answer's status
with its time: the checks (tests/ha/checks.py) look for each acknowledged thing afterwards."""

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import requests

RETRYABLE = {0, 502, 503, 504}  # no answer, or nginx/the service saying "try again"


@dataclass
class Ledger:
    """What the service acknowledged, and every answer's status, with its time."""

    claims: dict[int, int] = field(default_factory=dict)  # consumer -> pack claim id
    orders: dict[str, int] = field(default_factory=dict)  # idempotency key -> order id
    order_times: list[float] = field(default_factory=list)  # monotonic time of each 201
    order_sent: list[float] = field(default_factory=list)  # when each 201's attempt was sent
    paid: set[int] = field(default_factory=set)  # orders the cashier said were paid
    cancels: set[int] = field(default_factory=set)
    delivered: set[int] = field(default_factory=set)  # orders a courier handed over (200)
    statuses: Counter = field(default_factory=Counter)
    refusals: Counter = field(default_factory=Counter)  # 4xx answers by path kind and code
    try_again: int = 0
    other_5xx: list[str] = field(default_factory=list)
    failures: list[float] = field(default_factory=list)  # monotonic time of each retryable
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, answer: requests.Response | None) -> int:
        """Note one answer (None: no answer at all); its status, 0 for none."""
        status = 0 if answer is None else answer.status_code
        with self.lock:
            self.statuses[status] += 1
            if status in RETRYABLE:
                self.failures.append(time.monotonic())
            elif 400 <= status < 500:
                route = answer.request.path_url.split("?")[0].rstrip("/").split("/")[-1]
                self.refusals[f"{route}:{code_of(answer)}"] += 1
            if status == 503 and code_of(answer) == "try_again":
                self.try_again += 1
            elif status >= 500 and status not in (502, 504):
                self.other_5xx.append(f"{status} {answer.request.path_url} {answer.text[:200]}")
        return status

    def placed(self, key: str, order_id: int, sent: float) -> None:
        """An order's placement answered 201 (its attempt sent at `sent`)."""
        with self.lock:
            self.orders[key] = order_id
            self.order_times.append(time.monotonic())
            self.order_sent.append(sent)

    def note(self, kind: str, order_id: int) -> None:
        """An order paid, cancelled or delivered (answered 2xx)."""
        with self.lock:
            getattr(self, kind).add(order_id)


def code_of(answer: requests.Response | None) -> str | None:
    """The error code of a refusal (None for no answer or no error body)."""
    try:
        return answer.json()["error"]["code"]
    except (AttributeError, ValueError, KeyError, TypeError):
        return None
