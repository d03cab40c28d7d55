"""The one interface every store-system adapter implements, and the lookup of adapters by kind.

Kinds are entry points of the group `hourdelivery.store_adapters` (setup.cfg), so a chain's own
adapter can ship as a separate package; this module never imports its plugins.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib.metadata import entry_points
from typing import Any, NamedTuple

GROUP = "hourdelivery.store_adapters"


class FeedError(Exception):
    """The feed could not be read at all (unreachable, refused, malformed header or page).

    A sync that meets this must change nothing. Messages never carry a store's credentials.
    """


class StockRow(NamedTuple):
    """One SKU's stock as the store reports it (a tuple: a feed holds a thousand of them, and a
    frozen dataclass cost a third of the CSV parse)."""

    sku: str
    on_hand: int
    price_fen: int
    updated_at: datetime | None = None


@dataclass(frozen=True)
class StockSnapshot:
    """One read of a store's stock; rows the adapter could not parse are listed, not guessed.

    `full`: every SKU the store holds (a missing SKU is sold out); otherwise changes only.
    `complete`: the feed reached its completeness mark; a cut-off feed says False.
    `cursor`: where a delta feed resumes next time.
    `unsure`: SKUs named on rejected lines: their stock is unknown, so never zeroed.
    """

    rows: list[StockRow]
    rejected: list[str] = field(default_factory=list)
    unsure: set[str] = field(default_factory=set)
    full: bool = True
    complete: bool = True
    cursor: str | None = None


class StockAdapter(ABC):
    """Reads one store's stock from the store's own system."""

    kind: str = ""
    synced: bool = True  # False: stock is kept by hand; the scheduler never polls it

    @abstractmethod
    def fetch(self, cursor: str | None = None) -> StockSnapshot:
        """The store's stock (or its changes since `cursor`); FeedError if unreadable."""

    def fetch_stock(self) -> StockSnapshot:
        """A read from the start, ignoring any cursor."""
        return self.fetch(None)


@cache
def adapter_class(kind: str) -> type[StockAdapter]:
    """The adapter class registered under `kind` (an entry point name)."""
    found = entry_points(group=GROUP, name=kind)
    if not found:
        known = sorted(ep.name for ep in entry_points(group=GROUP))
        raise ValueError(f"unknown store adapter kind {kind!r}; known: {known}")
    return next(iter(found)).load()


def adapter_for(kind: str, settings: dict[str, Any]) -> StockAdapter:
    """An adapter of `kind` configured with a store's adapter settings."""
    return adapter_class(kind)(**settings)


def parse_row(record: dict[str, Any]) -> StockRow | None:
    """A row from sku/on_hand/price_fen(/updated_at) fields; None if any is missing or bad."""
    sku = str(record.get("sku") or "").strip()
    on_hand, price = _count(record.get("on_hand")), _count(record.get("price_fen"))
    if not sku or on_hand is None or price is None:
        return None
    stamp = record.get("updated_at")
    try:
        updated_at = datetime.fromisoformat(stamp) if stamp else None
    except (TypeError, ValueError):
        return None
    return StockRow(sku=sku, on_hand=on_hand, price_fen=price, updated_at=updated_at)


def _count(value: Any) -> int | None:
    """A non-negative integer from an int or a string of digits; anything else is bad."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    text = str(value).strip() if value is not None else ""
    return int(text) if is_count(text) else None


def is_count(text: str) -> bool:
    """ASCII digits only (str.isdigit also accepts "²", which int() refuses)."""
    return text.isascii() and text.isdigit()
