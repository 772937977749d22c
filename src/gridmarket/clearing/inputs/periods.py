"""The market horizon: how many periods, and how long each one is."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from gridmarket.clearing.inputs._checks import FloatArray, floats, require


@dataclass(frozen=True, eq=False)
class Periods:
    """Consecutive market periods of given lengths.

    A trade day is 23, 24 or 25 hourly periods; the fifteen-minute market and
    real-time dispatch use 15- and 5-minute periods. Costs are in $/h of each
    period, so a period's length turns prices ($/MWh) into money.

    Example::

        >>> Periods.uniform(25, 60).count
        25
        >>> Periods.uniform(3, 15).hours.tolist()
        [0.25, 0.25, 0.25]
    """

    duration_minutes: FloatArray

    def __post_init__(self) -> None:
        raw = np.asarray(self.duration_minutes, dtype=np.float64).reshape(-1)
        durations = floats("Periods", "duration_minutes", raw, raw.shape)
        require(durations.size > 0, "Periods", "duration_minutes", "at least one period")
        require(durations > 0, "Periods", "duration_minutes", "must be positive")
        object.__setattr__(self, "duration_minutes", durations)

    @classmethod
    def uniform(cls, count: int, minutes: float) -> Periods:
        """``count`` periods of ``minutes`` each."""
        return cls(np.full(count, float(minutes)))

    @property
    def count(self) -> int:
        return int(self.duration_minutes.size)

    @cached_property
    def hours(self) -> FloatArray:
        """Length of each period in hours (the factor from $/MWh to $)."""
        return self.duration_minutes / 60.0
