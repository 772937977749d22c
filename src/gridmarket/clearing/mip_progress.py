"""The progress of a MIP solve over time: best known primal and dual bounds, hence the gap.

HiGHS reports both bounds to a callback that it calls regularly during the
branch and bound; :class:`MipProgress` records the best of them against a clock
started by the caller (the start of the market run), so "seconds to a 1 % gap"
includes building the model and finding the first commitment.

Bounds stay valid across rounds of the lazy branch loop with one exception: a
round adds branch limits, so a solution of an earlier round may violate them.
A dual bound stays valid (the problem only got tighter), and so does a solution
known to respect every branch limit (:meth:`MipProgress.note_feasible`).

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
    """Best bounds at one moment, ``seconds`` after the clock started."""

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
    """Best bounds of a MIP recorded over time."""

    clock_start: float
    points: list[MipProgressPoint] = field(default_factory=list)
    _primal: float = math.inf
    _feasible_primal: float = math.inf
    _dual: float = -math.inf

    def record(self, primal_bound: float, dual_bound: float) -> None:
        """Add the solver's bounds as they stand now (the best so far are kept)."""
        self._primal = min(self._primal, float(primal_bound))
        self._dual = max(self._dual, float(dual_bound))
        self.points.append(MipProgressPoint(time.perf_counter() - self.clock_start,
                                            self._primal, self._dual))

    def note_feasible(self, objective: float, dual_bound: float) -> None:
        """A solution known to respect every limit, and a proven lower bound."""
        self._feasible_primal = min(self._feasible_primal, float(objective))
        self.record(objective, dual_bound)

    def restart(self) -> None:
        """A new round with more branch limits: forget primal bounds not known feasible."""
        self._primal = self._feasible_primal
        self.points = [p for p in self.points if p.primal_bound >= self._feasible_primal]

    def seconds_to_gap(self, gap: float) -> float | None:
        """When the gap first reached ``gap`` (None if it never did)."""
        return next((p.seconds for p in self.points if p.gap <= gap), None)
