"""Weekly opening hours in city-local time; an interval may pass midnight.

Format: {"24h": true}, or {"mon": [["08:00", "22:00"]], "fri": [["18:00", "02:00"]], ...}.
A close at or before its open means the interval ends on the next day.
"""

from datetime import datetime, time, timedelta

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def validate_hours(hours: dict) -> dict:
    """Check the format; return `hours` unchanged or raise ValueError naming the problem."""
    if hours.get("24h") is True:
        return hours
    for day, spans in hours.items():
        if day not in DAYS:
            raise ValueError(f"unknown day {day!r}; use one of {', '.join(DAYS)}")
        for span in spans:
            if len(span) != 2:
                raise ValueError(f"{day}: each interval is [open, close]")
            for text in span:
                time.fromisoformat(text)
    return hours


def is_open_24h(hours: dict) -> bool:
    return hours.get("24h") is True


def open_between(hours: dict, start: datetime, end: datetime) -> bool:
    """True if the store is open for the whole of [start, end] (city-local aware datetimes)."""
    if is_open_24h(hours):
        return True
    return spans_cover(open_spans(hours, start, end), start, end)


def open_spans(hours: dict, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The open intervals (merged) that may cover [start, end] of a store not open 24 h. They
    depend only on the local dates of start and end, so a caller checking many moments may
    keep them per (store, start date, end date)."""
    return _merged_intervals(hours, start, end)


def spans_cover(spans: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> bool:
    """True if one of `open_spans` holds the whole of [start, end]."""
    return any(s <= start and end <= e for s, e in spans)


def is_open(hours: dict, at: datetime) -> bool:
    """True if the store is open at the city-local moment `at` (it closes at its close time)."""
    if is_open_24h(hours):
        return True
    return any(s <= at < e for s, e in _merged_intervals(hours, at, at))


def next_opening(hours: dict, at: datetime) -> datetime | None:
    """The next city-local moment after `at` the store opens (None: open now or never)."""
    if is_open(hours, at):
        return None
    starts = [s for s, _ in _merged_intervals(hours, at, at + timedelta(days=7)) if s > at]
    return min(starts, default=None)


def _merged_intervals(
    hours: dict, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    first = start.date() - timedelta(days=1)
    days = (end.date() - first).days + 1
    intervals = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        for open_text, close_text in hours.get(DAYS[day.weekday()], []):
            opens = datetime.combine(day, time.fromisoformat(open_text), start.tzinfo)
            closes = datetime.combine(day, time.fromisoformat(close_text), start.tzinfo)
            if closes <= opens:
                closes += timedelta(days=1)
            intervals.append((opens, closes))
    intervals.sort()
    merged: list[tuple[datetime, datetime]] = []
    for s, e in intervals:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged
