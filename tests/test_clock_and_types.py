"""Business time is injectable and stored as timezone-aware UTC on both engines."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from service.clock import FrozenClock
from service.people.models import Consumer


def test_frozen_clock_moves_only_when_told():
    clock = FrozenClock(datetime(2026, 6, 18, 12, 0, tzinfo=UTC))
    assert clock.now() == clock.now()
    clock.advance(minutes=3)
    assert clock.now() == datetime(2026, 6, 18, 12, 3, tzinfo=UTC)


def test_clock_refuses_naive_times():
    with pytest.raises(ValueError):
        FrozenClock(datetime(2026, 6, 18, 12, 0))


def test_timestamps_round_trip_as_aware_utc(session):
    beijing_time = timezone(timedelta(hours=8))
    written = datetime(2026, 6, 18, 20, 0, tzinfo=beijing_time)
    session.add(Consumer(name="测试", phone="19900000000", created_at=written))
    session.flush()
    session.expunge_all()
    row = session.exec(select(Consumer).where(Consumer.phone == "19900000000")).one()
    assert row.created_at == written
    assert row.created_at.tzinfo is not None and row.created_at.utcoffset() == timedelta(0)


def test_naive_timestamp_is_refused_before_it_reaches_the_database(session):
    session.add(Consumer(name="测试", phone="19900000001", created_at=datetime(2026, 6, 18)))
    with pytest.raises(Exception, match="naive"):
        session.flush()


def test_scaled_clock_runs_from_its_start_at_its_speed_and_agrees_across_processes():
    from service.clock import ScaledClock

    env = {
        "HD_SIM_START": "2026-11-25T20:00:00+08:00",
        "HD_SIM_ANCHOR": "2026-11-25T06:00:00+00:00",
        "HD_SIM_SPEED": "12",
    }
    one, other = ScaledClock.from_env(env), ScaledClock.from_env(dict(env))
    wall = datetime(2026, 11, 25, 6, 0, 10, tzinfo=UTC)
    assert one.at(wall) == other.at(wall) == datetime(2026, 11, 25, 12, 2, tzinfo=UTC)
    assert one.wall(one.at(wall)) == wall
    assert ScaledClock.from_env({}) is None
