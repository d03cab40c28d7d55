"""An in-memory store system, for tests and the demo."""

from store_adapters.base import FeedError, StockAdapter, StockRow, StockSnapshot


class FakeAdapter(StockAdapter):
    """Returns the rows it was given; can be told to fail like a broken store system."""

    kind = "fake"

    def __init__(
        self, rows: list[dict] | None = None, fail: str | None = None, complete: bool = True
    ):
        self.rows = [StockRow(**row) for row in rows or []]
        self.fail = fail
        self.complete = complete

    def fetch(self, cursor: str | None = None) -> StockSnapshot:
        if self.fail:
            raise FeedError(self.fail)
        return StockSnapshot(rows=list(self.rows), complete=self.complete)
