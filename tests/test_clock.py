"""The injectable clock: always aware UTC, fixed and movable in tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gridmarket.clock import Clock, FixedClock, SystemClock, as_utc

PACIFIC = ZoneInfo("America/Los_Angeles")


def test_system_clock_tells_the_current_instant_in_utc() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)
    assert now.tzinfo is UTC
    assert before <= now <= after


def test_fixed_clock_answers_the_instant_it_was_given_converted_to_utc() -> None:
    clock = FixedClock(datetime(2020, 7, 1, 10, 0, tzinfo=PACIFIC))
    assert clock.now() == datetime(2020, 7, 1, 17, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC
    assert clock.now() == clock.now()


def test_fixed_clock_advances_forward_and_back() -> None:
    clock = FixedClock(datetime(2020, 3, 8, 9, 0, tzinfo=UTC))
    assert clock.advance(timedelta(minutes=75)) == datetime(2020, 3, 8, 10, 15, tzinfo=UTC)
    assert clock.advance(timedelta(hours=-1)) == datetime(2020, 3, 8, 9, 15, tzinfo=UTC)
    assert clock.now() == datetime(2020, 3, 8, 9, 15, tzinfo=UTC)


def test_fixed_clock_can_be_set_to_another_instant() -> None:
    clock = FixedClock(datetime(2020, 1, 1, tzinfo=UTC))
    clock.set(datetime(2020, 11, 1, 1, 30, fold=1, tzinfo=PACIFIC))  # the second 01:30
    assert clock.now() == datetime(2020, 11, 1, 9, 30, tzinfo=UTC)


def test_fixed_clock_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="timezone"):
        FixedClock(datetime(2020, 1, 1, 12, 0))
    clock = FixedClock(datetime(2020, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="naive"):
        clock.set(datetime(2020, 1, 2))
    assert clock.now() == datetime(2020, 1, 1, tzinfo=UTC)


def test_as_utc_converts_aware_instants_and_refuses_naive_ones() -> None:
    assert as_utc(datetime(2020, 1, 15, 0, 0, tzinfo=PACIFIC)) == datetime(
        2020, 1, 15, 8, 0, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="naive"):
        as_utc(datetime(2020, 1, 15))


def test_both_clocks_satisfy_the_clock_protocol() -> None:
    assert isinstance(SystemClock(), Clock)
    assert isinstance(FixedClock(datetime(2020, 1, 1, tzinfo=UTC)), Clock)
