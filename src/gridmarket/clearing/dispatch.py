"""Real-time dispatch (FMM and RTD): an LP from a fixed commitment, kept between intervals.

The model is built once for a window of intervals (one, or several for
look-ahead; only the first is binding) with the commitment fixed. Each new
interval changes only numbers — demand, renewable forecasts, the output the
units start from, the commitment of the hour, reserve requirements, the loss
linearisation — so the LP is re-solved warm from the previous basis instead of
being rebuilt in the solver. The new numbers are found by building the model
again in numpy and comparing: with the commitment fixed, every data-dependent
number is a bound (fixed columns are constants, see
:mod:`gridmarket.clearing.linear_model`), so the changes are vectorised bound
updates; only new loss factors change matrix coefficients.

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
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from gridmarket.clearing.extract import read_result
from gridmarket.clearing.formulation.assemble import build_clearing_model
from gridmarket.clearing.inputs import ClearingInput
from gridmarket.clearing.linear_model import FloatArray, LinearModel
from gridmarket.clearing.result import ClearingResult, SolverStatistics
from gridmarket.clearing.solve import loss_linearisation, prepare_run, solve_with_branch_limits


@dataclass(frozen=True)
class ModelNumbers:
    """The numbers of a built model: bounds, costs, row bounds and coefficients."""

    col_lower: FloatArray
    col_upper: FloatArray
    cost: FloatArray
    row_lower: FloatArray
    row_upper: FloatArray
    matrix: sp.csr_matrix
    offset: float

    @classmethod
    def of(cls, model: LinearModel) -> ModelNumbers:
        lower, upper, cost, _ = model.columns()
        row_lower, row_upper = model.rows()
        return cls(lower, upper, cost, row_lower, row_upper, model.matrix(),
                   model.objective_offset)

    def same_structure(self, other: ModelNumbers) -> bool:
        """Same columns, rows and non-zero pattern (only values may differ)."""
        a, b = self.matrix, other.matrix
        return (a.shape == b.shape and np.array_equal(a.indptr, b.indptr)
                and np.array_equal(a.indices, b.indices))


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
        self._open()
        self.build_seconds = time.perf_counter() - start
        self.solves = 0
        self.rebuilds = 0

    def _open(self) -> None:
        self._run = prepare_run(self.input, integer=False, stable=True)
        cm = self._run.cm
        self._numbers = ModelNumbers.of(build_clearing_model(
            self.input, cm.network.ptdf, cm.network.losses, integer=False, stable=True).model)
        self._pending_first_solve = True

    @property
    def n_rows(self) -> int:
        """Rows in the model (grows only by lazily added branch limits)."""
        return self._run.cm.model.n_rows

    def solve(
        self,
        inp: ClearingInput | None = None,
        *,
        fixed_demand_mw: npt.ArrayLike | None = None,
        initial_output_mw: npt.ArrayLike | None = None,
        initial_on: npt.ArrayLike | None = None,
        p_max_mw: npt.ArrayLike | None = None,
        p_min_mw: npt.ArrayLike | None = None,
        commitment: npt.ArrayLike | None = None,
        reserve_requirement_mw: npt.ArrayLike | None = None,
        base_case_injection_mw: npt.ArrayLike | None = None,
    ) -> ClearingResult:
        """Dispatch the window with new forecasts and starting outputs.

        ``inp`` replaces the window's input as a whole (the same elements and
        periods, new numbers: the next interval of a day); the keywords change
        single fields of it. ``fixed_demand_mw`` is ``(load, interval)``; ``initial_output_mw`` and
        ``initial_on`` ``(unit,)`` are the previous interval's dispatch and
        commitment, for ramping; ``p_max_mw`` and ``p_min_mw`` ``(unit, interval)``
        (e.g. renewable forecasts); ``commitment`` ``(unit, interval)`` the units
        on (e.g. from the day-ahead hour); ``reserve_requirement_mw``
        ``(product, zone, interval)``; ``base_case_injection_mw`` ``(bus, interval)``
        the operating point to linearise losses around (e.g. the last dispatch).
        Omitted values stay as they were.
        """
        start = time.perf_counter()
        if commitment is None and inp is not None:
            commitment = self.input.units.available  # the window's commitment stays
        inp = self._updated_input(inp or self.input, fixed_demand_mw=fixed_demand_mw,
                                  initial_output_mw=initial_output_mw, initial_on=initial_on,
                                  p_max_mw=p_max_mw, p_min_mw=p_min_mw, commitment=commitment,
                                  reserve_requirement_mw=reserve_requirement_mw)
        changed = inp is not self.input or base_case_injection_mw is not None
        if changed:
            self._push(inp, base_case_injection_mw)
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

    @staticmethod
    def _updated_input(inp: ClearingInput, **changes: npt.ArrayLike | None) -> ClearingInput:
        """``inp`` with the given fields replaced (one validation per table)."""
        units, demand, reserves = inp.units, inp.demand, inp.reserves
        unit_changes: dict[str, np.ndarray] = {}
        for name in ("initial_output_mw", "p_max_mw", "p_min_mw"):
            value = changes[name]
            if value is not None:
                unit_changes[name] = np.asarray(value, dtype=np.float64)
        if changes["initial_on"] is not None:
            unit_changes["initial_on"] = np.broadcast_to(
                np.asarray(changes["initial_on"], dtype=bool), units.initial_on.shape)
        if changes["commitment"] is not None:
            on = np.broadcast_to(np.asarray(changes["commitment"], dtype=bool),
                                 units.p_max_mw.shape)
            unit_changes["available"] = unit_changes["must_run"] = on
        if unit_changes:
            units = replace(units, **unit_changes)
        if changes["fixed_demand_mw"] is not None:
            demand = replace(demand,
                             fixed_mw=np.asarray(changes["fixed_demand_mw"], dtype=np.float64))
        if changes["reserve_requirement_mw"] is not None and reserves is not None:
            reserves = replace(reserves, requirement_mw=np.asarray(
                changes["reserve_requirement_mw"], dtype=np.float64))
        if units is inp.units and demand is inp.demand and reserves is inp.reserves:
            return inp
        return replace(inp, units=units, demand=demand, reserves=reserves)

    def _push(self, new: ClearingInput, base_case_mw: npt.ArrayLike | None) -> None:
        """Change the solver's numbers where the model of ``new`` differs from the current one.

        A change of structure (a row or column that appears or disappears) cannot
        be made in place: the model is then built and passed again.
        """
        cm = self._run.cm
        losses = cm.network.losses
        base = None if base_case_mw is None else np.asarray(base_case_mw, dtype=np.float64)
        if base is not None:
            losses = loss_linearisation(new, self._run.dc, base)
        numbers = ModelNumbers.of(
            build_clearing_model(new, cm.network.ptdf, losses, integer=False, stable=True).model)
        self.input = new
        if not numbers.same_structure(self._numbers):
            self.rebuilds += 1
            if base is not None:
                self.input = replace(new, base_case_injection_mw=base)
            self._open()
            self._pending_first_solve = False
            return
        session, old = self._run.session, self._numbers
        cols = np.flatnonzero((numbers.col_lower != old.col_lower)
                              | (numbers.col_upper != old.col_upper))
        session.set_column_bounds(cols, numbers.col_lower[cols], numbers.col_upper[cols])
        cols = np.flatnonzero(numbers.cost != old.cost)
        session.set_costs(cols, numbers.cost[cols])
        rows = np.flatnonzero((numbers.row_lower != old.row_lower)
                              | (numbers.row_upper != old.row_upper))
        session.set_row_bounds(rows, numbers.row_lower[rows], numbers.row_upper[rows])
        changed = np.flatnonzero(numbers.matrix.data != old.matrix.data)
        if changed.size:
            # Only new loss factors get here: one balance row's coefficients.
            row = np.repeat(np.arange(numbers.matrix.shape[0]), np.diff(numbers.matrix.indptr))
            session.set_coefficients(row[changed], numbers.matrix.indices[changed],
                                     numbers.matrix.data[changed])
        if numbers.offset != old.offset:
            session.set_objective_offset(numbers.offset)
        self._numbers = numbers
        cm.input = new
        cm.network.losses = losses
