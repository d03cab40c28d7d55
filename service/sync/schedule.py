"""When the scheduler runs each store's sync: slots computed from the store id and interval
alone, so the scheduler (which fires its jobs on them) and the API (which lists the next one)
agree without sharing any state. A store's slots start at a store-specific share of its
interval past a fixed epoch, so 1,000 stores spread evenly and never fire in the same second.
"""

import math
from datetime import UTC, datetime, timedelta

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
GOLDEN = 0.6180339887  # spreads store ids evenly over an interval, whatever their count


def first_slot(store_id: int, interval_s: float) -> datetime:
    """The first of a store's slots (every `interval_s` real seconds from then on)."""
    return EPOCH + timedelta(seconds=(store_id * GOLDEN) % 1 * interval_s)


def next_slot(store_id: int, interval_s: float, after: datetime) -> datetime:
    """The store's first slot at or after `after` (as APScheduler's IntervalTrigger counts)."""
    first = first_slot(store_id, interval_s)
    if after <= first:
        return first
    return first + timedelta(seconds=interval_s) * math.ceil(
        (after - first) / timedelta(seconds=interval_s)
    )


def next_run_at(
    *,
    store_id: int,
    interval_s: int,
    retry_at: datetime | None,
    now: datetime,
    speed: float,
    real_now: datetime,
) -> datetime:
    """The business time the store's sync next runs: its next slot, or for a store backing off
    the first slot from `retry_at` (the job skips slots before it). Slots are real seconds;
    `speed` business seconds pass per real one (1 but under a simulated clock)."""
    after = real_now
    if retry_at is not None and retry_at > now:
        after = real_now + (retry_at - now) / speed
    slot = next_slot(store_id, interval_s / speed, after)
    return now + (slot - real_now) * speed
