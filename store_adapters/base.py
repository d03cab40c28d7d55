"""The one interface every store-system adapter implements."""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any


class FeedError(Exception):
    """The feed could not be read whole (unreachable, truncated, malformed header).

    A sync that meets this must change nothing: a partial feed is never a reason to zero stock.
    """


@dataclass(frozen=True)
class StockRow:
    sku: str
    on_hand: int
    price_fen: int


@dataclass(frozen=True)
class StockSnapshot:
    """A complete read of one store's stock; rows it could not parse are listed, not guessed."""

    rows: list[StockRow]
    rejected: list[str] = field(default_factory=list)


class StockAdapter(ABC):
    """Reads one store's stock from the store's own system."""

    kind: str = ""

    @abstractmethod
    def fetch_stock(self) -> StockSnapshot:
        """The store's current stock, or FeedError if it cannot be read whole."""


_KINDS: dict[str, type[StockAdapter]] = {}


def register(cls: type[StockAdapter]) -> type[StockAdapter]:
    """Class decorator: make an adapter available to `adapter_for` under its `kind`."""
    _KINDS[cls.kind] = cls
    return cls


def adapter_for(kind: str, settings: dict[str, Any]) -> StockAdapter:
    """An adapter of `kind` configured with a store's adapter settings."""
    import store_adapters.csv_feed  # noqa: F401  (registers its kind)
    import store_adapters.fake  # noqa: F401

    if kind not in _KINDS:
        raise ValueError(f"unknown store adapter kind {kind!r}; known: {sorted(_KINDS)}")
    return _KINDS[kind](**settings)
