"""Real-time dispatch (RTD, 5-minute intervals) of an RTS-GMLC trade day.

Every interval is dispatched from the day-ahead commitment of its hour against
the real-time series (:func:`~gridmarket.network.rts_gmlc_timeseries.real_time_series`:
5-minute load and wind; PV and rooftop PV interpolated and hydro held flat from
the hourly values), with the network, marginal losses, regulation and spinning
reserve, and ramping from the previous interval's dispatch. Units offer at cost
as in :mod:`gridmarket.markets.rts_gmlc_case`. One
:class:`~gridmarket.clearing.DispatchModel` is built for the first interval and
re-solved in place for every later one; loss factors are refreshed every hour
from the last dispatch. The battery is left out (its real-time use would need a
state-of-charge policy across intervals).

Example::

    >>> day = real_time_day(rts_dir, date(2020, 7, 15), MarketParameters(),  # doctest: +SKIP
    ...                     day_ahead.schedules.commitment)
    >>> run = dispatch_real_time(day)  # doctest: +SKIP
    >>> len(run.results), run.mean_seconds < 0.02  # doctest: +SKIP
    (288, True)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from gridmarket.clearing import (
    ClearingInput,
    ClearingResult,
    DispatchModel,
    Penalties,
    Periods,
    select_periods,
)
from gridmarket.clearing.inputs._checks import BoolArray, FloatArray
from gridmarket.config import MarketParameters
from gridmarket.markets.rts_gmlc_case import (
    CaseOptions,
    SeriesTable,
    rts_demand,
    rts_network,
    rts_reserves,
    rts_units,
    solver_settings,
    trade_day_utc,
)
from gridmarket.network.rts_gmlc import read_rts_gmlc
from gridmarket.network.rts_gmlc_timeseries import real_time_series

INTERVAL_MINUTES = 5.0
LOSS_REFRESH_INTERVALS = 12
# The first interval is re-dispatched from itself at most this often to settle.
SETTLING_INTERVALS = 24
SETTLED_MW = 1e-3


@dataclass(frozen=True, eq=False)
class RealTimeDay:
    """The real-time inputs of every interval of a trade day.

    ``day`` holds all intervals (``Periods`` of 5 minutes); ``commitment``
    ``(unit, interval)`` is the day-ahead commitment of each interval's hour.
    """

    day: ClearingInput
    interval_start_utc: tuple[datetime, ...]
    commitment: BoolArray
    initial_output_mw: FloatArray
    """Output the first interval ramps from (the day-ahead schedule of the first hour)."""

    @property
    def n_intervals(self) -> int:
        return self.day.periods.count

    def window(self, interval: int) -> ClearingInput:
        """The one-interval input of ``interval`` (ramping from ``initial_output_mw``)."""
        window = select_periods(self.day, interval, interval + 1)
        units = replace(window.units, initial_output_mw=self.initial_output_mw,
                        initial_on=self.commitment[:, interval])
        return replace(window, units=units)


def real_time_day(
    source_dir: Path,
    trade_date: date,
    parameters: MarketParameters,
    day_ahead_commitment: BoolArray,
    *,
    day_ahead_output_mw: FloatArray | None = None,
    options: CaseOptions = CaseOptions(lossless=False),
) -> RealTimeDay:
    """The RTD inputs of ``trade_date``, from the day-ahead commitment ``(unit, hour)``.

    ``day_ahead_output_mw`` ``(unit, hour)`` gives the output the first interval
    ramps from (its first hour); without it, units start at their initial state.
    """
    system = read_rts_gmlc(source_dir)
    start, end = trade_day_utc(parameters, trade_date)
    n = int((end - start) / timedelta(minutes=INTERVAL_MINUTES))
    series = SeriesTable(real_time_series(source_dir, start, end), n)
    units = rts_units(system, series, options, period_minutes=INTERVAL_MINUTES)
    interval_start = tuple(start + timedelta(minutes=INTERVAL_MINUTES * k) for k in range(n))
    hour = (np.arange(n) * INTERVAL_MINUTES // 60).astype(np.int64)
    commitment = np.asarray(day_ahead_commitment, dtype=bool)[:, hour]
    day = ClearingInput(
        network=rts_network(system, options),
        periods=Periods.uniform(n, INTERVAL_MINUTES),
        units=units,
        demand=rts_demand(system, series),
        reserves=rts_reserves(system, series) if options.with_reserves else None,
        penalties=Penalties.from_rules(parameters.clearing, parameters.bids),
        settings=solver_settings(parameters, options),
    )
    initial = (np.asarray(day_ahead_output_mw, dtype=np.float64)[:, 0]
               if day_ahead_output_mw is not None else units.initial_output_mw)
    return RealTimeDay(day, interval_start, commitment, initial * commitment[:, 0])


@dataclass
class RealTimeRun:
    """The dispatch of a run of intervals and what each took (build included in the first)."""

    results: list[ClearingResult] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    """Wall time of each interval: model update, solve, prices and consistency check."""
    build_seconds: float = 0.0

    @property
    def mean_seconds(self) -> float:
        return float(np.mean(self.seconds)) if self.seconds else 0.0

    @property
    def max_seconds(self) -> float:
        return float(np.max(self.seconds)) if self.seconds else 0.0

    @property
    def total_seconds(self) -> float:
        return float(np.sum(self.seconds))


def dispatch_real_time(day: RealTimeDay, intervals: range | None = None) -> RealTimeRun:
    """Dispatch ``intervals`` (default: the whole day) one after the other.

    Each interval ramps from the previous one's dispatch. The first interval
    ramps from a settled dispatch of itself (re-dispatched from its own result
    until outputs stop moving, as the previous day's last intervals would have
    left it), so the day does not start with a ramp from the day-ahead
    schedule to real-time forecasts in five minutes. Building the model and
    settling are timed apart (``build_seconds``).
    """
    intervals = intervals if intervals is not None else range(day.n_intervals)
    run = RealTimeRun()
    first = intervals[0]
    start = time.perf_counter()
    model = DispatchModel(day.window(first), commitment=day.commitment[:, first:first + 1])
    result = model.solve()
    for _ in range(SETTLING_INTERVALS):
        on, output = _state(result)
        result = model.solve(initial_output_mw=output, initial_on=on,
                             base_case_injection_mw=result.schedules.net_injection_mw)
        if np.allclose(_state(result)[1], output, atol=SETTLED_MW):
            break
    run.build_seconds = time.perf_counter() - start
    for count, k in enumerate(intervals):
        on, output = _state(result)
        refresh = count % LOSS_REFRESH_INTERVALS == 0
        start = time.perf_counter()
        result = model.solve(select_periods(day.day, k, k + 1),
                             commitment=day.commitment[:, k:k + 1],
                             initial_output_mw=output, initial_on=on,
                             base_case_injection_mw=(result.schedules.net_injection_mw
                                                     if refresh else None))
        run.seconds.append(time.perf_counter() - start)
        run.results.append(result)
    return run


def _state(result: ClearingResult) -> tuple[BoolArray, FloatArray]:
    """Commitment and output of a one-interval dispatch, as the next interval's start."""
    on = result.schedules.commitment[:, 0]
    return on, np.where(on, np.clip(result.schedules.output_mw[:, 0], 0.0, None), 0.0)
