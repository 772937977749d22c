"""The time source: an injectable clock that always answers in UTC.

Code that needs "now" takes a :class:`Clock` instead of calling
``datetime.now()``, so tests can fix and move time. Every instant is
timezone-aware UTC; a naive datetime is refused because its meaning depends
on the machine it runs on.

Example::

    >>> from datetime import UTC, datetime, timedelta
    >>> clock = FixedClock(datetime(2020, 3, 8, 9, 0, tzinfo=UTC))
    >>> clock.advance(timedelta(minutes=5)).isoformat()
    '2020-03-08T09:05:00+00:00'
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


def as_utc(instant: datetime) -> datetime:
    """Return ``instant`` in UTC; refuse a naive datetime.

    Example::

        >>> from zoneinfo import ZoneInfo
        >>> pacific = datetime(2020, 7, 1, 10, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
        >>> as_utc(pacific).isoformat()
        '2020-07-01T17:00:00+00:00'
    """
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(
            f"naive datetime {instant.isoformat()} has no timezone; "
            "pass a timezone-aware datetime (e.g. tzinfo=datetime.UTC)"
        )
    return instant.astimezone(UTC)


@runtime_checkable
class Clock(Protocol):
    """Anything that can tell the current instant."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real clock of the machine.

    Example::

        >>> SystemClock().now().tzinfo is UTC
        True
    """

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until told to move; for tests and replays.

    Example::

        >>> clock = FixedClock(datetime(2020, 1, 1, tzinfo=UTC))
        >>> clock.set(datetime(2020, 1, 2, tzinfo=UTC)).isoformat()
        '2020-01-02T00:00:00+00:00'
    """

    def __init__(self, instant: datetime) -> None:
        self._now = as_utc(instant)

    def now(self) -> datetime:
        """The instant the clock is set to, in UTC."""
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock by ``delta`` (may be negative) and return the new instant.

        Example::

            >>> FixedClock(datetime(2020, 1, 1, tzinfo=UTC)).advance(timedelta(hours=1)).hour
            1
        """
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> datetime:
        """Put the clock at ``instant`` (must be timezone-aware) and return it in UTC.

        Example::

            >>> FixedClock(datetime(2020, 1, 1, tzinfo=UTC)).set(
            ...     datetime(2021, 6, 1, tzinfo=UTC)).year
            2021
        """
        self._now = as_utc(instant)
        return self._now
