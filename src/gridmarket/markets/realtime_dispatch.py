"""Dispatch a real-time day interval by interval, carrying forward over failed intervals.

One :class:`~gridmarket.clearing.DispatchModel` is built for the first
interval and re-solved in place for every later one (ramping from the
previous interval's dispatch; loss factors refreshed every hour from the last
dispatch), as in :mod:`gridmarket.markets.rts_gmlc_realtime`. The first
interval ramps from a settled dispatch of itself.

An interval whose solve fails (:class:`~gridmarket.clearing.ClearingFailed`,
:class:`~gridmarket.clearing.InputError`) repeats the last valid interval's
dispatch and prices, flagged ``carried_forward`` (rulebook §7); the model is
rebuilt for the next interval. If the first interval cannot be solved at all
there is nothing to carry forward and the run fails.

Example::

    outcome = dispatch_day(inp, commitment, initial_output_mw)
    outcome.day.carried_forward.sum()   # intervals that failed
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from gridmarket.clearing import (
    ClearingFailed,
    ClearingInput,
    ClearingResult,
    DispatchModel,
    InputError,
    periods_at,
)
from gridmarket.markets.rts_gmlc_realtime import SETTLED_MW, SETTLING_INTERVALS
from gridmarket.markets.solved_day import SolvedDay

Progress = Callable[[int, int], None]
"""``progress(intervals done, intervals in the day)``."""


@dataclass
class RealTimeOutcome:
    """The dispatched day, which intervals carried forward and why, and what it took."""

    day: SolvedDay
    failures: dict[int, str] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    build_seconds: float = 0.0

    @property
    def carried_forward(self) -> list[int]:
        return sorted(self.failures)


def _window(inp: ClearingInput, indices: np.ndarray, commitment: np.ndarray,
            output: np.ndarray) -> ClearingInput:
    window = periods_at(inp, indices)
    units = replace(window.units, initial_output_mw=output,
                    initial_on=commitment[:, indices[0]])
    return replace(window, units=units)


def _indices(k: int, width: int, n: int) -> np.ndarray:
    """Interval ``k`` and the ``width − 1`` after it; the day's last repeats at its end."""
    return np.minimum(np.arange(k, k + width), n - 1)


def _state(result: ClearingResult) -> tuple[np.ndarray, np.ndarray]:
    on = result.schedules.commitment[:, 0]
    return on, np.where(on, np.clip(result.schedules.output_mw[:, 0], 0.0, None), 0.0)


def dispatch_day(
    inp: ClearingInput,
    commitment: np.ndarray,
    initial_output_mw: np.ndarray,
    *,
    lookahead: int = 1,
    progress: Progress | None = None,
    solver: type[DispatchModel] = DispatchModel,
) -> RealTimeOutcome:
    """Dispatch every interval of ``inp`` from ``commitment`` ``(unit, interval)``.

    Each interval is solved with the ``lookahead − 1`` intervals after it
    (advisory), so units ramp ahead of a commitment change or a steep forecast.
    Where that window has no feasible dispatch (a unit's ramp cannot meet a
    shutdown in time), the interval is solved alone.
    """
    n = inp.periods.count
    width = max(1, min(lookahead, n))
    refresh_every = max(1, round(60.0 / float(inp.periods.duration_minutes[0])))
    start = time.perf_counter()
    first_output = np.where(commitment[:, 0], initial_output_mw, 0.0)
    single = solver(_window(inp, _indices(0, 1, n), commitment, first_output),
                    commitment=commitment[:, 0:1])
    result = single.solve()
    for _ in range(SETTLING_INTERVALS):
        on, output = _state(result)
        result = single.solve(initial_output_mw=output, initial_on=on,
                              base_case_injection_mw=result.schedules.net_injection_mw)
        if np.allclose(_state(result)[1], output, atol=SETTLED_MW):
            break
    outcome = RealTimeOutcome(day=SolvedDay.stack([result], [False]),
                              build_seconds=time.perf_counter() - start)
    models: dict[int, DispatchModel] = {1: single}
    results: list[ClearingResult] = []
    carried: list[bool] = []
    last = result
    for k in range(n):
        began = time.perf_counter()
        refresh = k % refresh_every == 0
        try:
            last = _solve_interval(models, inp, commitment, k, width, last, refresh, solver)
            carried.append(False)
        except (ClearingFailed, InputError) as error:
            outcome.failures[k] = str(error)
            models.clear()  # rebuilt from the next interval's numbers
            carried.append(True)
        results.append(last)
        outcome.seconds.append(time.perf_counter() - began)
        if progress is not None:
            progress(k + 1, n)
    outcome.day = SolvedDay.stack(results, carried)
    return outcome


def _solve_interval(models: dict[int, DispatchModel], inp: ClearingInput,
                    commitment: np.ndarray, k: int, width: int, last: ClearingResult,
                    refresh: bool, solver: type[DispatchModel]) -> ClearingResult:
    """Interval ``k`` with its look-ahead window, or alone if the window is infeasible."""
    if width > 1:
        try:
            return _solve_window(models, inp, commitment, k, width, last, refresh, solver)
        except (ClearingFailed, InputError):
            models.pop(width, None)  # rebuilt for the next window
    return _solve_window(models, inp, commitment, k, 1, last, refresh, solver)


def _solve_window(models: dict[int, DispatchModel], inp: ClearingInput,
                  commitment: np.ndarray, k: int, size: int, last: ClearingResult,
                  refresh: bool, solver: type[DispatchModel]) -> ClearingResult:
    on, output = _state(last)
    indices = _indices(k, size, inp.periods.count)
    model = models.get(size)
    if model is None:
        model = models[size] = solver(_window(inp, indices, commitment, output),
                                      commitment=commitment[:, indices])
        return model.solve()
    injection = (np.repeat(last.schedules.net_injection_mw[:, :1], size, axis=1)
                 if refresh else None)
    return model.solve(periods_at(inp, indices), commitment=commitment[:, indices],
                       initial_output_mw=output, initial_on=on, base_case_injection_mw=injection)
