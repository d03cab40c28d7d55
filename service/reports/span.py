"""A report's city-local date range, and SQL that puts a UTC timestamp on a city-local bucket."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal_column, text

from service.errors import Unprocessable

MAX_DAYS = 366
FORMATS = {"day": ("%Y-%m-%d", "YYYY-MM-DD"), "hour": ("%Y-%m-%d %H:00", "YYYY-MM-DD HH24:00")}


@dataclass(frozen=True)
class Span:
    """Days `first`..`last` (inclusive) in `zone`, and the UTC instants that bound them."""

    first: date
    last: date
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), self.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), self.zone).astimezone(UTC)


def make_span(first: date, last: date, zone: ZoneInfo) -> Span:
    """The range, or 422 when reversed or longer than a year."""
    if last < first:
        raise Unprocessable("`to` is before `from`", code="invalid_range", field="to")
    if (last - first).days >= MAX_DAYS:
        raise Unprocessable(
            f"a report covers at most {MAX_DAYS} days", code="invalid_range", field="to"
        )
    return Span(first, last, zone)


def bucket(column, group: str, span: Span, dialect: str):
    """SQL: the city-local day or hour (text) of a UTC timestamp column."""
    sqlite_format, pg_format = FORMATS[group]
    if dialect == "postgresql":
        local = column.op("AT TIME ZONE")(literal_column(f"'{span.zone.key}'"))
        return func.to_char(local, pg_format)
    # SQLite has no zones: the city's offset at the range's start (Chinese cities keep one
    # offset all year; a zone with daylight saving would be an hour off across the change).
    offset = span.zone.utcoffset(datetime.combine(span.first, time()))
    minutes = int(offset.total_seconds() // 60)
    return func.strftime(sqlite_format, column, text(f"'{minutes:+d} minutes'"))
