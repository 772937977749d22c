"""Splitting a 15- or 60-minute meter value evenly into 5-minute values, exactly.

Values are kept to the micro-MWh (6 decimal places, the precision of the
``NUMERIC(16,6)`` column). A value of ``v`` MWh over ``n`` 5-minute intervals
is ``v × 10⁶`` micro-MWh shared as evenly as possible: every interval gets
``⌊|v| × 10⁶ / n⌋`` micro-MWh and the **first** ``|v| × 10⁶ mod n`` intervals
get one micro-MWh more (the sign of ``v`` is applied to each share). The
shares therefore sum to ``v`` exactly and differ by at most 1e-6 MWh.

Example::

    >>> split_evenly(Decimal("1"), 3)
    [Decimal('0.333334'), Decimal('0.333333'), Decimal('0.333333')]
    >>> sum(split_evenly(Decimal("10.000001"), 12)) == Decimal("10.000001")
    True
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

PLACES = 6
MICRO = Decimal(10) ** PLACES
QUANTUM = Decimal(1).scaleb(-PLACES)
BASE_MINUTES = 5


def has_at_most_six_places(value: Decimal) -> bool:
    """True when ``value`` is exact at 1e-6 (so it can be stored and split exactly).

    Example::

        >>> has_at_most_six_places(Decimal("1.123456")), has_at_most_six_places(Decimal("1e-7"))
        (True, False)
    """
    return value.is_finite() and (value * MICRO) == (value * MICRO).to_integral_value()


def split_evenly(value: Decimal, parts: int) -> list[Decimal]:
    """``value`` in ``parts`` shares summing to it exactly (remainder to the first shares).

    Example::

        >>> split_evenly(Decimal("-0.000002"), 3)
        [Decimal('-0.000001'), Decimal('-0.000001'), Decimal('0.000000')]
    """
    if parts < 1:
        raise ValueError("parts must be at least 1")
    if not has_at_most_six_places(value):
        raise ValueError(f"{value} has more than {PLACES} decimal places")
    micro = int(abs(value) * MICRO)
    base, remainder = divmod(micro, parts)
    sign = -1 if value < 0 else 1
    return [
        (Decimal(sign * (base + (1 if k < remainder else 0))) / MICRO).quantize(QUANTUM)
        for k in range(parts)
    ]


def five_minute_starts(interval_end_utc: datetime, interval_minutes: int) -> list[datetime]:
    """The starts of the 5-minute intervals covering the interval ending at ``interval_end_utc``.

    Example::

        >>> from datetime import UTC
        >>> [s.minute for s in five_minute_starts(datetime(2020, 7, 15, 8, tzinfo=UTC), 15)]
        [45, 50, 55]
    """
    start = interval_end_utc - timedelta(minutes=interval_minutes)
    return [
        start + timedelta(minutes=BASE_MINUTES * k)
        for k in range(interval_minutes // BASE_MINUTES)
    ]
