"""Stores whose stock is kept by hand (or by the seed): never polled, never stale."""

from store_adapters.base import FeedError, StockAdapter, StockSnapshot


class ManualAdapter(StockAdapter):
    kind = "manual"
    synced = False

    def __init__(self, **_settings):
        pass

    def fetch(self, cursor: str | None = None) -> StockSnapshot:
        raise FeedError("a manual store has no feed to read")
