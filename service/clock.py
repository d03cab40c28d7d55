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


class ScaledClock:
    """Simulated time for demos and simulations only, never production: business time
    `start` at wall time `anchor`, then `speed` business seconds per real second. Every
    process given the same three values (HD_SIM_START, HD_SIM_ANCHOR, HD_SIM_SPEED) computes
    the same time, so gunicorn workers, the scheduler and the simulator agree."""

    def __init__(self, start: datetime, anchor: datetime, speed: float):
        if speed <= 0:
            raise ValueError("HD_SIM_SPEED must be positive")
        self.start, self.anchor, self.speed = ensure_utc(start), ensure_utc(anchor), speed

    def now(self) -> datetime:
        return self.at(datetime.now(UTC))

    def at(self, wall: datetime) -> datetime:
        """The business time at wall-clock time `wall`."""
        return self.start + (ensure_utc(wall) - self.anchor) * self.speed

    def wall(self, business: datetime) -> datetime:
        """The wall-clock time at which business time reaches `business`."""
        return self.anchor + (ensure_utc(business) - self.start) / self.speed

    @classmethod
    def from_env(cls, env) -> "ScaledClock | None":
        """From HD_SIM_START, HD_SIM_ANCHOR (default: the start), HD_SIM_SPEED; None if unset."""
        if not env.get("HD_SIM_SPEED"):
            return None
        start = datetime.fromisoformat(env["HD_SIM_START"])
        anchor = datetime.fromisoformat(env.get("HD_SIM_ANCHOR") or env["HD_SIM_START"])
        return cls(start, anchor, float(env["HD_SIM_SPEED"]))


def speed_of(clock: Clock) -> float:
    """Business seconds per real second: 1 except under a ScaledClock."""
    return getattr(clock, "speed", 1.0)
