"""The progress of a MIP solve over time: primal and dual bounds, hence the gap.

HiGHS reports both bounds to a callback that it calls regularly during the
branch and bound; :class:`MipProgress` records them against a clock started by
the caller (the start of the market run), so "seconds to a 1 % gap" includes
building the model and finding the first commitment.

Example::

    >>> progress = MipProgress(clock_start=0.0)
    >>> progress.points.extend([MipProgressPoint(2.0, 110.0, 95.0),
    ...                         MipProgressPoint(5.0, 100.5, 100.0)])
    >>> progress.seconds_to_gap(0.01)
    5.0
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class MipProgressPoint:
    """Bounds at one moment, ``seconds`` after the clock started."""

    seconds: float
    primal_bound: float
    dual_bound: float

    @property
    def gap(self) -> float:
        """Relative gap ``(primal − dual) / |primal|`` as HiGHS defines it (inf without primal)."""
        if not math.isfinite(self.primal_bound):
            return math.inf
        return (self.primal_bound - self.dual_bound) / max(abs(self.primal_bound), 1e-9)


@dataclass
class MipProgress:
    """Bounds of a MIP recorded over time (one round of the lazy branch loop at a time)."""

    clock_start: float
    points: list[MipProgressPoint] = field(default_factory=list)

    def record(self, primal_bound: float, dual_bound: float) -> None:
        """Add the bounds as they stand now."""
        self.points.append(MipProgressPoint(time.perf_counter() - self.clock_start,
                                            float(primal_bound), float(dual_bound)))

    def restart(self) -> None:
        """Forget earlier rounds: a new branch limit makes their bounds stale."""
        self.points.clear()

    def seconds_to_gap(self, gap: float) -> float | None:
        """When the gap first reached ``gap`` (None if it never did)."""
        return next((p.seconds for p in self.points if p.gap <= gap), None)
