"""A scenario file (TOML): the city, the clock, the actors and the coupon drop."""

import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

DEFAULT = Path(__file__).with_name("changsha_2000.toml")


@dataclass(frozen=True)
class Scenario:
    city: str
    start: datetime
    duration_minutes: float
    speed: float
    seed: int
    consumers: dict
    stores: dict
    couriers: dict
    drop: dict
    promotions: list = field(default_factory=list)
    # After the hour, stores and couriers finish the orders in flight for at most this long.
    drain_minutes: float = 60

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.duration_minutes)

    @property
    def drop_at(self) -> datetime:
        return datetime.fromisoformat(self.drop["at"])

    def scaled(self, **counts) -> "Scenario":
        """The same scenario with other consumer/store/courier counts, duration or speed."""
        changed = {}
        for part in ("consumers", "stores", "couriers"):
            if counts.get(part) is not None:
                changed[part] = {**getattr(self, part), "count": counts[part]}
        if counts.get("visits_at_once") is not None:
            changed["consumers"] = {
                **changed.get("consumers", self.consumers),
                "visits_at_once": counts["visits_at_once"],
            }
        if counts.get("quota") is not None:
            changed["drop"] = {**self.drop, "quota": counts["quota"]}
        for name in ("speed", "duration_minutes", "drain_minutes"):
            if counts.get(name) is not None:
                changed[name] = counts[name]
        return replace(self, **changed)


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Read a scenario file (default: Changsha's 20:00 drop)."""
    raw = tomllib.loads(Path(path or DEFAULT).read_text(encoding="utf-8"))
    raw["start"] = datetime.fromisoformat(raw["start"])
    return Scenario(**raw)
