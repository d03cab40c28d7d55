"""Business time. Every rule that depends on "now" asks a Clock, so tests can move time."""

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until moved; for tests and replays."""

    def __init__(self, at: datetime):
        self._at = ensure_utc(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = ensure_utc(at)

    def advance(self, **delta: float) -> datetime:
        self._at += timedelta(**delta)
        return self._at


def ensure_utc(value: datetime) -> datetime:
    """Return `value` in UTC; a naive datetime is refused, never guessed."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: business times must carry a timezone")
    return value.astimezone(UTC)
