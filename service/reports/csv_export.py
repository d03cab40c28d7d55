"""Reports as CSV: UTF-8 with a BOM (so a spreadsheet reads Chinese text), one row at a time."""

import csv
import io
from collections.abc import Iterable, Iterator

BOM = "\ufeff"


def stream(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The BOM and header, then one CSV line per row, as the response streams."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values) -> str:
        writer.writerow(values)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield BOM + line(header)
    for row in rows:
        yield line(row)


def campaign_rows(report: dict) -> tuple[list[str], Iterator[list]]:
    """Header and rows of a campaign report: one row per bucket."""
    rows = report["rows"]
    header = ["key", *(name for name in (rows[0] if rows else report["totals"]) if name != "key")]
    return header, ([row.get(name, "") for name in header] for row in rows)


def city_rows(report: dict) -> tuple[list[str], Iterator[list]]:
    """Header and rows of a city report: figure, reason (or state), count, fen, stores (the
    stores counted under a refusal's reason)."""
    header = ["figure", "reason", "count", "fen", "stores"]

    def rows():
        yield ["orders", "", report["orders"], report["gmv_fen"], ""]
        for row in report["cancellations_by_reason"]:
            yield ["cancelled", row["reason"], row["count"], row["fen"], ""]
        yield ["short_picked", "", "", report["short_picked_fen"], ""]
        for row in report["reroutes_by_reason"]:
            yield ["rerouted", row["reason"], row["count"], "", ""]
        for row in report["refusals_by_reason"]:
            yield ["refused", row["reason"], row["orders"], "", row["stores"]]
        for state, count in report["stores"].items():
            yield ["stores", state, count, "", ""]
        yield ["delivered_on_time", "", report["on_time"]["on_time"], "", ""]

    return header, rows()
