"""Reading form fields people type: hours ending, market times, amounts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from gridmarket.errors import InvalidInput
from gridmarket.web.forms import parse_decimal, parse_hours, parse_market_time

PACIFIC = ZoneInfo("America/Los_Angeles")


@pytest.mark.parametrize(("typed", "hours"), [
    ("14", [14]), ("14, 15", [14, 15]), ("14-16", [14, 15, 16]), ("3,14-16, 15", [3, 14, 15, 16]),
    ("1-25", list(range(1, 26))),
])
def test_hours_ending_are_read_as_people_write_them(typed: str, hours: list[int]) -> None:
    assert parse_hours(typed, "hours") == hours


@pytest.mark.parametrize(("typed", "message"), [
    ("", "name at least one hour ending"), ("noon", "'noon' is not an hour ending"),
    ("16-14", "ends before it starts"), ("1-100000000", "longer than a day"),
])
def test_hours_that_cannot_be_read_are_refused_naming_the_field(typed: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as refused:
        parse_hours(typed, "hours")
    assert refused.value.field == "hours"


def test_a_market_time_is_read_in_pacific_time_on_either_side_of_dst() -> None:
    assert parse_market_time("2020-07-15T09:00", "at", PACIFIC) == datetime(
        2020, 7, 15, 16, tzinfo=UTC)
    assert parse_market_time("2020-12-15T09:00", "at", PACIFIC) == datetime(
        2020, 12, 15, 17, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="without a time zone"):
        parse_market_time("2020-07-15T09:00+00:00", "at", PACIFIC)
    with pytest.raises(InvalidInput, match="YYYY-MM-DD HH:MM"):
        parse_market_time("tomorrow", "at", PACIFIC)


def test_amounts_allow_a_dollar_sign_and_thousands_separators() -> None:
    assert parse_decimal("$1,234.56", "amount") == Decimal("1234.56")
    with pytest.raises(InvalidInput, match="enter an amount"):
        parse_decimal("", "amount")
