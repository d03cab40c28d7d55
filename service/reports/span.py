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
    """SQL: the bucket of a UTC timestamp column; `local_label` turns it into the city-local
    day or hour (PostgreSQL: already that; SQLite: an hour to fold in Python)."""
    if dialect == "postgresql":
        local = column.op("AT TIME ZONE")(literal_column(f"'{span.zone.key}'"))
        return func.to_char(local, FORMATS[group][1])
    # SQLite has no zones: the UTC hour, shifted by the part of the city's offset under an
    # hour (0 for whole-hour zones), and local_label adds the whole hours of each hour's own
    # offset, so every event falls on its own city-local day across a DST change.
    return func.strftime(SQLITE_HOUR, column, text(f"'+{_sub_hour(span)} minutes'"))


def local_label(group: str | None, span: Span, dialect: str) -> Callable[[object], object]:
    """Python: a bucket from `bucket` -> its city-local label (at most 24 x days distinct)."""
    if dialect == "postgresql" or group not in FORMATS:
        return lambda key: key
    shift, zone, fmt = timedelta(minutes=_sub_hour(span)), span.zone, FORMATS[group][0]

    @cache
    def label(key):
        hour = datetime.strptime(key, SQLITE_HOUR).replace(tzinfo=UTC) - shift
        return hour.astimezone(zone).strftime(fmt)

    return label


def _sub_hour(span: Span) -> int:
    """Minutes of the city's UTC offset beyond whole hours (30 for +05:30, 0 for +08:00).

    Assumed the same over the range: true of every zone whose daylight saving moves whole hours.
    """
    offset = span.zone.utcoffset(datetime.combine(span.first, time()))
    return int(offset.total_seconds() // 60) % 60
