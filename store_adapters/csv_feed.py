"""A chain's CSV export, from a path or an HTTP URL: a header row, then one row per SKU,
then a `#rows=N` trailer.

The trailer is the completeness mark: a feed without it, or whose count does not match, was
cut off (an interrupted upload) and is reported incomplete so the sync refuses it. GBK is
still what many Chinese POS systems export; `encoding: auto` tries UTF-8 first, then GBK.
"""

import csv
from pathlib import Path

from store_adapters.base import (
    FeedError,
    StockAdapter,
    StockRow,
    StockSnapshot,
    parse_row,
)
from store_adapters.http import get, http_session

REQUIRED = ("sku", "on_hand", "price_fen")
TRAILER = "#rows="


class CsvFeedAdapter(StockAdapter):
    kind = "csv"

    def __init__(
        self,
        path: str | None = None,
        url: str | None = None,
        encoding: str = "auto",
        timeout_s: float = 10.0,
        retries: int = 3,
        api_key: str | None = None,
    ):
        if (path is None) == (url is None):
            raise ValueError("a CSV feed needs exactly one of path or url")
        self.path, self.url, self.encoding = path, url, encoding
        self.timeout_s, self.retries, self._key = timeout_s, retries, api_key

    def __repr__(self) -> str:  # a download key stays out of logs and tracebacks
        return f"CsvFeedAdapter({Path(self.path).name if self.path else self.url!r})"

    def fetch(self, cursor: str | None = None) -> StockSnapshot:
        text = _decode(self._raw(), self.encoding)
        lines = text.splitlines()
        complete, body = _split_trailer(lines)
        reader = csv.reader(body)
        header = [name.strip().lstrip("\ufeff") for name in next(reader, [])]
        if not set(REQUIRED) <= set(header):
            raise FeedError(f"header must name {','.join(REQUIRED)}")
        rows, rejected, unsure = _parse(reader, header)
        return StockSnapshot(rows=rows, rejected=rejected, complete=complete, unsure=unsure - {""})

    def _raw(self) -> bytes:
        if self.path is not None:
            try:
                return Path(self.path).read_bytes()
            except OSError as error:
                raise FeedError(f"cannot read {Path(self.path).name}: {error.strerror}") from None
        with http_session(retries=self.retries) as session:
            headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
            return get(session, self.url, timeout_s=self.timeout_s, headers=headers).content


def _parse(reader, header: list[str]) -> tuple[list[StockRow], list[str], set[str]]:
    """Rows, rejected lines and the SKUs named on them. The common line (three plain fields)
    is parsed inline; anything else goes through parse_row (a dict a line costs a third more)."""
    rows, rejected, unsure = [], [], set()
    width, sku_at = len(header), header.index("sku")
    on_hand_at, price_at = header.index("on_hand"), header.index("price_fen")
    plain = "updated_at" not in header
    for number, record in enumerate(reader, start=2):
        if len(record) == width:
            sku, on_hand, price = (
                record[sku_at].strip(),
                record[on_hand_at].strip(),
                record[price_at].strip(),
            )
            if (
                plain
                and sku
                and on_hand.isdigit()
                and price.isdigit()
                and (on_hand + price).isascii()
            ):
                rows.append(StockRow(sku, int(on_hand), int(price)))
                continue
            row = parse_row(dict(zip(header, record, strict=True)))
            if row is not None:
                rows.append(row)
                continue
        rejected.append(f"line {number}: {','.join(record)[:80]}")
        unsure.add(record[sku_at].strip() if len(record) > sku_at else "")
    return rows, rejected, unsure


def _decode(raw: bytes, encoding: str) -> str:
    for candidate in ("utf-8-sig", "gbk") if encoding == "auto" else (encoding,):
        try:
            return raw.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    raise FeedError(f"feed is not {encoding} text")


def _split_trailer(lines: list[str]) -> tuple[bool, list[str]]:
    """(whether the trailer vouches for the body, the body without the trailer)."""
    if not lines or not lines[-1].startswith(TRAILER):
        return False, lines
    body = lines[:-1]
    expected = lines[-1].removeprefix(TRAILER).strip()
    return expected.isdigit() and int(expected) == len(body) - 1, body
