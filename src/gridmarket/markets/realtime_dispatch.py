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
    select_periods,
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


def _window(inp: ClearingInput, k: int, commitment: np.ndarray,
            output: np.ndarray) -> ClearingInput:
    window = select_periods(inp, k, k + 1)
    units = replace(window.units, initial_output_mw=output, initial_on=commitment[:, k])
    return replace(window, units=units)


def _state(result: ClearingResult) -> tuple[np.ndarray, np.ndarray]:
    on = result.schedules.commitment[:, 0]
    return on, np.where(on, np.clip(result.schedules.output_mw[:, 0], 0.0, None), 0.0)


def dispatch_day(
    inp: ClearingInput,
    commitment: np.ndarray,
    initial_output_mw: np.ndarray,
    *,
    progress: Progress | None = None,
    solver: type[DispatchModel] = DispatchModel,
) -> RealTimeOutcome:
    """Dispatch every interval of ``inp`` from ``commitment`` ``(unit, interval)``."""
    n = inp.periods.count
    refresh_every = max(1, round(60.0 / float(inp.periods.duration_minutes[0])))
    start = time.perf_counter()
    first_output = np.where(commitment[:, 0], initial_output_mw, 0.0)
    model = solver(_window(inp, 0, commitment, first_output), commitment=commitment[:, 0:1])
    result = model.solve()
    for _ in range(SETTLING_INTERVALS):
        on, output = _state(result)
        result = model.solve(initial_output_mw=output, initial_on=on,
                             base_case_injection_mw=result.schedules.net_injection_mw)
        if np.allclose(_state(result)[1], output, atol=SETTLED_MW):
            break
    outcome = RealTimeOutcome(day=SolvedDay.stack([result], [False]),
                              build_seconds=time.perf_counter() - start)
    results: list[ClearingResult] = []
    carried: list[bool] = []
    last = result
    live: DispatchModel | None = model
    for k in range(n):
        on, output = _state(last)
        began = time.perf_counter()
        try:
            if live is None:
                live = solver(_window(inp, k, commitment, output),
                              commitment=commitment[:, k:k + 1])
                last = live.solve()
            else:
                refresh = k % refresh_every == 0
                last = live.solve(select_periods(inp, k, k + 1),
                                  commitment=commitment[:, k:k + 1],
                                  initial_output_mw=output, initial_on=on,
                                  base_case_injection_mw=(last.schedules.net_injection_mw
                                                          if refresh else None))
            carried.append(False)
        except (ClearingFailed, InputError) as error:
            outcome.failures[k] = str(error)
            live = None  # rebuilt from the next interval's numbers
            carried.append(True)
        results.append(last)
        outcome.seconds.append(time.perf_counter() - began)
        if progress is not None:
            progress(k + 1, n)
    outcome.day = SolvedDay.stack(results, carried)
    return outcome
