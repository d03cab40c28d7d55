"""Opening hours in city-local time, including intervals that pass midnight."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from service.stores.hours import is_open, open_between, validate_hours

SHANGHAI = ZoneInfo("Asia/Shanghai")
LATE_NIGHT = {
    day: [["10:00", "02:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}


def local(day: int, hour: int, minute: int = 0) -> datetime:
    # 2026-06-15 is a Monday.
    return datetime(2026, 6, 15 + day, hour, minute, tzinfo=SHANGHAI)


def test_store_is_open_inside_its_hours_and_closed_outside():
    hours = {"mon": [["08:00", "22:00"]]}
    assert is_open(hours, local(0, 8))
    assert is_open(hours, local(0, 21, 59))
    assert not is_open(hours, local(0, 22))
    assert not is_open(hours, local(1, 12))  # no Tuesday hours


def test_hours_that_pass_midnight_keep_the_store_open_into_the_next_day():
    assert is_open(LATE_NIGHT, local(1, 1, 30))
    assert not is_open(LATE_NIGHT, local(1, 2, 0))
    assert is_open({"sun": [["22:00", "03:00"]]}, local(7, 2))  # Sunday night into Monday


def test_open_between_needs_the_whole_span_open():
    hours = {"mon": [["08:00", "22:00"]]}
    assert open_between(hours, local(0, 21, 30), local(0, 21, 50))
    assert not open_between(hours, local(0, 21, 50), local(0, 22, 5))  # closes before prep ends


def test_adjacent_intervals_count_as_one_opening():
    hours = {"mon": [["08:00", "12:00"], ["12:00", "23:59"]], "tue": [["00:00", "09:00"]]}
    assert open_between(hours, local(0, 11, 50), local(0, 12, 10))


def test_24h_store_is_always_open():
    assert is_open({"24h": True}, local(3, 3, 33))


@pytest.mark.parametrize(
    "hours", [{"funday": [["08:00", "20:00"]]}, {"mon": [["08:00"]]}, {"mon": [["8am", "9pm"]]}]
)
def test_malformed_hours_are_refused(hours):
    with pytest.raises(ValueError):
        validate_hours(hours)
