"""Real-time dispatch (FMM and RTD): an LP from a fixed commitment, kept between intervals.

The model is built once for a window of intervals (one, or several for
look-ahead; only the first is binding) with the commitment fixed. Each new
interval changes only numbers — the demand forecast (bus injection rows), the
output the units start from (the first ramp rows), renewable forecasts (Pmax
coefficients) — which are changed in place in HiGHS, so the LP re-solves warm
from the previous basis instead of being rebuilt.

Example::

    >>> from gridmarket.clearing.synthetic import two_bus_system
    >>> inp = two_bus_system(limit_mw=100.0, n_periods=1)
    >>> rtd = DispatchModel(inp, commitment=[[True], [True]])
    >>> rtd.solve(fixed_demand_mw=[[120.0]]).prices.lmp_usd_per_mwh[:, 0].round(2).tolist()
    [10.0, 30.0]
    >>> rtd.solve(fixed_demand_mw=[[90.0]]).prices.lmp_usd_per_mwh[:, 0].round(2).tolist()
    [10.0, 10.0]
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from gridmarket.clearing.extract import read_result
from gridmarket.clearing.formulation.assemble import fixed_demand_by_bus
from gridmarket.clearing.formulation.units import (
    first_ramp_limits,
    offline_non_spin_mw,
    start_stop_mw,
)
from gridmarket.clearing.inputs import ClearingInput
from gridmarket.clearing.result import ClearingResult, SolverStatistics
from gridmarket.clearing.solve import prepare_run, solve_with_branch_limits


class DispatchModel:
    """A dispatch LP over a window of intervals, re-solved in place interval after interval.

    ``inp`` describes the window (``inp.periods`` are the interval lengths, e.g.
    three 5-minute RTD intervals); ``commitment`` ``(unit, interval)`` fixes which
    units are on. Only numbers change between :meth:`solve` calls.
    """

    def __init__(self, inp: ClearingInput, commitment: npt.ArrayLike) -> None:
        start = time.perf_counter()
        fixed = np.broadcast_to(np.asarray(commitment, dtype=bool), inp.units.p_max_mw.shape)
        self.input = replace(inp, units=inp.units.with_commitment(fixed))
        self._run = prepare_run(self.input, integer=False)
        self._pending_first_solve = True
        self.build_seconds = time.perf_counter() - start
        self.solves = 0

    @property
    def n_rows(self) -> int:
        """Rows in the model (grows only by lazily added branch limits)."""
        return self._run.cm.model.n_rows

    def solve(
        self,
        *,
        fixed_demand_mw: npt.ArrayLike | None = None,
        initial_output_mw: npt.ArrayLike | None = None,
        initial_on: npt.ArrayLike | None = None,
        p_max_mw: npt.ArrayLike | None = None,
    ) -> ClearingResult:
        """Dispatch the window with new forecasts and starting outputs.

        ``fixed_demand_mw`` is ``(load, interval)``; ``initial_output_mw`` and
        ``initial_on`` ``(unit,)`` are the previous interval's dispatch and
        commitment, for ramping; ``p_max_mw`` ``(unit, interval)`` (e.g. renewable
        forecasts). Omitted values stay as they were.
        """
        start = time.perf_counter()
        inp = self._update_input(fixed_demand_mw, initial_output_mw, initial_on, p_max_mw)
        changed = inp is not self.input
        if changed:
            self._push(inp)
            self.input = inp
            self._run.cm.input = inp
        session, cm = self._run.session, self._run.cm
        if self._pending_first_solve and not changed:
            lazy = self._run.screening  # the build already solved these numbers
        else:
            lazy = solve_with_branch_limits(session, cm)
        self._pending_first_solve = False
        self.solves += 1
        outcome = lazy.outcome
        statistics = SolverStatistics(
            build_seconds=self.build_seconds if self.solves == 1 else 0.0,
            screening_seconds=0.0,
            solve_seconds=lazy.seconds,
            pricing_seconds=0.0,
            total_seconds=time.perf_counter() - start,
            mip_gap=None,
            objective_usd=outcome.objective,
            screening_iterations=0,
            lazy_iterations=lazy.iterations,
            pricing_lazy_iterations=0,
            branch_rows=int((cm.network.branch_rows >= 0).sum()),
            n_columns=cm.model.n_cols,
            n_rows=cm.model.n_rows,
            n_integer=0,
            status=outcome.status,
        )
        return read_result(cm, self._run.dc, outcome, statistics)

    def _update_input(
        self,
        fixed_demand_mw: npt.ArrayLike | None,
        initial_output_mw: npt.ArrayLike | None,
        initial_on: npt.ArrayLike | None,
        p_max_mw: npt.ArrayLike | None,
    ) -> ClearingInput:
        inp = self.input
        units, demand = inp.units, inp.demand
        if fixed_demand_mw is not None:
            demand = replace(demand, fixed_mw=np.asarray(fixed_demand_mw, dtype=np.float64))
        unit_changes: dict[str, np.ndarray] = {}
        if initial_output_mw is not None:
            unit_changes["initial_output_mw"] = np.asarray(initial_output_mw, dtype=np.float64)
        if initial_on is not None:
            unit_changes["initial_on"] = np.broadcast_to(
                np.asarray(initial_on, dtype=bool), units.initial_on.shape)
        if p_max_mw is not None:
            unit_changes["p_max_mw"] = np.asarray(p_max_mw, dtype=np.float64)
        if unit_changes:
            units = replace(units, **unit_changes)
        if units is inp.units and demand is inp.demand:
            return inp
        return replace(inp, units=units, demand=demand)

    def _push(self, new: ClearingInput) -> None:
        """Change the solver's numbers where the new input differs from the old."""
        session, cm = self._run.session, self._run.cm
        old = self.input
        if new.demand is not old.demand:
            fixed = fixed_demand_by_bus(new)
            session.set_row_bounds(cm.network.injection_rows, -fixed, -fixed)
        units, rows = new.units, cm.units.rows
        if units.initial_on is not old.units.initial_on:
            on0 = units.initial_on.astype(np.float64)
            session.set_row_bounds(rows["logic"][:, 0], on0, on0)
        if (units.initial_output_mw is not old.units.initial_output_mw
                or units.initial_on is not old.units.initial_on):
            first_up, first_down = first_ramp_limits(units, new.periods)
            session.set_row_bounds(rows["ramp_up"][:, 0], -np.inf, first_up)
            session.set_row_bounds(rows["ramp_down"][:, 0], -np.inf, first_down)
        if units.p_max_mw is not old.units.p_max_mw:
            self._push_p_max(new, old)

    def _push_p_max(self, new: ClearingInput, old: ClearingInput) -> None:
        """Change the Pmax coefficients of ``u``, ``v`` and ``w`` where Pmax changed."""
        session, blocks = self._run.session, self._run.cm.units
        rows = blocks.rows
        units = new.units
        unit, period = np.nonzero(units.p_max_mw != old.units.p_max_mw)
        ns_off = offline_non_spin_mw(units, new.reserves is not None)[unit, period]
        p_max = units.p_max_mw[unit, period]
        commit = blocks.commit[unit, period]
        session.set_coefficients(rows["capacity"][unit, period], commit, -(p_max - ns_off))
        # p ≤ Pmax·u − (Pmax − SU)·v_t − (Pmax − SD)·w_{t+1}, in one or two rows.
        su, sd = start_stop_mw(units)
        nt = new.periods.count
        for name, with_start, with_stop in (("startup_capability", True, False),
                                            ("shutdown_capability", False, True),
                                            ("start_stop_capability", True, True)):
            row = rows[name][unit, period]
            keep = row >= 0
            row, u_, t_, pmax = row[keep], unit[keep], period[keep], p_max[keep]
            session.set_coefficients(row, commit[keep], -pmax)
            if with_start:
                session.set_coefficients(row, blocks.startup[u_, t_], pmax - su[u_, t_])
            if with_stop:
                last = t_ + 1 < nt
                session.set_coefficients(row[last], blocks.shutdown[u_[last], t_[last] + 1],
                                         pmax[last] - sd[u_[last], t_[last]])
