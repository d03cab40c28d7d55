"""An in-memory store system, for tests and the demo."""

from store_adapters.base import FeedError, StockAdapter, StockRow, StockSnapshot, register


@register
class FakeAdapter(StockAdapter):
    """Returns the rows it was given; can be told to fail like a broken store system."""

    kind = "fake"

    def __init__(self, rows: list[dict] | None = None, fail: str | None = None):
        self.rows = [StockRow(**row) for row in rows or []]
        self.fail = fail

    def fetch_stock(self) -> StockSnapshot:
        if self.fail:
            raise FeedError(self.fail)
        return StockSnapshot(rows=list(self.rows))
