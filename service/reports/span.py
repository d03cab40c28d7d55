"""A report's city-local date range, and SQL that puts a UTC timestamp on a city-local bucket."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal_column, text

from service.errors import Unprocessable

MAX_DAYS = 366
SQLITE_HOUR = "%Y-%m-%d %H"
FORMATS = {"day": "%Y-%m-%d", "hour": "%Y-%m-%d %H:00"}  # city-local labels


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
    """SQL: the hour of a UTC timestamp column that `local_label` turns into the city-local
    day or hour of the event. Hours are cheap to group by (PostgreSQL's to_char of a zoned
    time cost ~4x the rest of a claims-by-day query); at most 24 x days of them reach Python."""
    sub = _sub_hour(span)  # hours start where the city's do: at :30 UTC for a +05:30 city
    if dialect == "postgresql":
        origin = literal_column(f"TIMESTAMPTZ '2000-01-01 00:{sub:02d}:00+00'")
        return func.date_bin(literal_column("INTERVAL '1 hour'"), column, origin)
    if not sub:  # SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC: the hour is its prefix
        return func.substr(column, 1, 13)
    return func.strftime(SQLITE_HOUR, column, text(f"'+{sub} minutes'"))


def local_label(group: str | None, span: Span, dialect: str) -> Callable[[object], object]:
    """Python: an hour from `bucket` -> the city-local day or hour it falls in, with the offset
    of that very hour (so a DST change moves no event to another day)."""
    if group not in FORMATS:
        return lambda key: key
    shift, zone, fmt = timedelta(minutes=_sub_hour(span)), span.zone, FORMATS[group]

    @cache
    def label(key):
        if isinstance(key, str):  # SQLite: the UTC hour shifted by `shift`, as text
            key = datetime.strptime(key, SQLITE_HOUR).replace(tzinfo=UTC) - shift
        return key.astimezone(zone).strftime(fmt)

    return label


def _sub_hour(span: Span) -> int:
    """Minutes of the city's UTC offset beyond whole hours (30 for +05:30, 0 for +08:00).

    Assumed the same over the range: true of every zone whose daylight saving moves whole hours.
    """
    offset = span.zone.utcoffset(datetime.combine(span.first, time()))
    return int(offset.total_seconds() // 60) % 60
