"""Stores that export a CSV file: `sku,on_hand,price_fen` rows and a `#rows=N` trailer.

The trailer is how a truncated upload is told from a short one: without it, or with a count
that does not match, the feed is refused whole.
"""

import csv
from pathlib import Path

from store_adapters.base import FeedError, StockAdapter, StockRow, StockSnapshot, register

HEADER = ["sku", "on_hand", "price_fen"]


@register
class CsvFeedAdapter(StockAdapter):
    kind = "csv_feed"

    def __init__(self, path: str):
        self.path = Path(path)

    def fetch_stock(self) -> StockSnapshot:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise FeedError(f"cannot read {self.path}: {error}") from error
        body = _check_trailer(lines)
        reader = csv.reader(body)
        if next(reader, None) != HEADER:
            raise FeedError(f"header must be {','.join(HEADER)}")
        rows, rejected, seen = [], [], {}
        for number, record in enumerate(reader, start=2):
            row = _parse(record)
            if row is None:
                rejected.append(f"line {number}: {','.join(record)}")
                continue
            if row.sku in seen:  # two products under one code: refuse rather than merge them
                raise FeedError(f"sku {row.sku} on lines {seen[row.sku]} and {number}")
            seen[row.sku] = number
            rows.append(row)
        return StockSnapshot(rows=rows, rejected=rejected)


def _check_trailer(lines: list[str]) -> list[str]:
    if not lines or not lines[-1].startswith("#rows="):
        raise FeedError("no #rows= trailer: the feed is truncated")
    body = lines[:-1]
    expected = lines[-1].removeprefix("#rows=").strip()
    if not expected.isdigit() or int(expected) != len(body) - 1:
        raise FeedError(f"trailer says {expected} rows, feed has {len(body) - 1}")
    return body


def _parse(record: list[str]) -> StockRow | None:
    if len(record) != 3:
        return None
    sku, on_hand, price = (part.strip() for part in record)
    if not sku or not on_hand.isdigit() or not price.isdigit():
        return None
    return StockRow(sku=sku, on_hand=int(on_hand), price_fen=int(price))
