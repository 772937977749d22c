"""The solver interface: one HiGHS instance kept in step with a :class:`LinearModel`.

The session passes the model once, then pushes only what was added since
(lazy branch rows) so HiGHS can re-solve warm, and changes bounds, costs and
integrality in place (pricing runs, dispatch intervals) instead of rebuilding.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt

from gridmarket.clearing.linear_model import FloatArray, IntArray, LinearModel
from gridmarket.clearing.mip_progress import MipProgress


class ClearingFailed(RuntimeError):
    """A market run failed (infeasible, solver error or time-out); nothing is published."""

    def __init__(self, status: str, detail: str = "") -> None:
        self.status = status
        super().__init__(f"clearing failed: {status}" + (f" ({detail})" if detail else ""))


@dataclass(frozen=True)
class SolveOutcome:
    """What one solver call returned."""

    status: str
    objective: float
    col_value: FloatArray
    row_value: FloatArray
    row_dual: FloatArray
    col_dual: FloatArray
    mip_gap: float | None
    seconds: float


_INF = highspy.kHighsInf
_banner_lock = threading.Lock()
_banner_suppressed = False


def quiet_highs() -> highspy.Highs:
    """A silent HiGHS instance.

    The first instance of a process prints a banner on the C-level stdout before
    any option can be set (which would corrupt JSON printed by a command), so it
    is created with file descriptor 1 pointed at /dev/null.
    """
    global _banner_suppressed
    with _banner_lock:
        if not _banner_suppressed:
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                with open(os.devnull, "w") as devnull:
                    os.dup2(devnull.fileno(), 1)
                    highs = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _banner_suppressed = True
        else:
            highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    return highs


class HighsSession:
    """A HiGHS model mirroring a :class:`LinearModel`, updated incrementally.

    Example::

        >>> m = LinearModel()
        >>> x = m.add_columns((1,), cost=2.0)
        >>> r = m.add_rows((1,), lower=3.0)
        >>> m.add_terms(r, x)
        >>> HighsSession(m, mip_gap=0.0, time_limit_seconds=10.0).solve().objective
        6.0
    """

    def __init__(
        self,
        model: LinearModel,
        *,
        mip_gap: float,
        time_limit_seconds: float,
        threads: int | None = None,
    ) -> None:
        self.model = model
        self.highs = quiet_highs()
        self.highs.setOptionValue("mip_rel_gap", float(mip_gap))
        self.time_limit_seconds = float(time_limit_seconds)
        if threads is not None:
            self.highs.setOptionValue("threads", int(threads))
        self._cols = 0
        self._rows = 0
        self._blocks = 0
        self._pass_model()

    def twin(self) -> HighsSession:
        """A second, independent solver holding the same model as it stands now.

        For side computations (a heuristic sub-problem) that must not disturb
        this session's model, options or solution.
        """
        self.sync()
        twin = object.__new__(HighsSession)
        twin.model, twin.time_limit_seconds = self.model, self.time_limit_seconds
        twin.highs = quiet_highs()
        for name in ("mip_rel_gap", "threads"):
            twin.highs.setOptionValue(name, self.highs.getOptionValue(name)[1])
        self._check(twin.highs.passModel(self.highs.getLp()), "passModel")
        twin._integer = self._integer.copy()
        twin._cols, twin._rows, twin._blocks = self._cols, self._rows, self._blocks
        return twin

    def set_options(self, **options: Any) -> None:
        """Set HiGHS options by name (``mip_rel_gap=0.01``, ...)."""
        for name, value in options.items():
            self._check(self.highs.setOptionValue(name, value), f"option {name}")

    @contextmanager
    def options(self, **options: Any) -> Iterator[None]:
        """Set HiGHS options for the duration of a ``with`` block."""
        before = {name: self.highs.getOptionValue(name)[1] for name in options}
        self.set_options(**options)
        try:
            yield
        finally:
            self.set_options(**before)

    def set_start(self, col_value: FloatArray | None) -> None:
        """Use ``col_value`` as the next MIP's starting solution (None: no start).

        Without this, HiGHS would take the last solution (e.g. of the LP
        relaxation) as a partial start and spend time completing it.
        """
        self.highs.clearSolver()
        if col_value is not None:
            start = highspy.HighsSolution()
            start.col_value = np.asarray(col_value, dtype=np.float64)
            start.value_valid = True
            self._check(self.highs.setSolution(start), "setSolution")

    def _pass_model(self) -> None:
        m = self.model
        lower, upper, cost, integer = m.columns()
        row_lower, row_upper = m.rows()
        matrix = m.matrix().tocsc()
        lp = highspy.HighsLp()
        lp.num_col_ = m.n_cols
        lp.num_row_ = m.n_rows
        lp.col_cost_ = cost
        lp.col_lower_ = _finite(lower)
        lp.col_upper_ = _finite(upper)
        lp.row_lower_ = _finite(row_lower)
        lp.row_upper_ = _finite(row_upper)
        lp.offset_ = m.objective_offset
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
        lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
        lp.a_matrix_.value_ = matrix.data
        lp.a_matrix_.num_col_ = m.n_cols
        lp.a_matrix_.num_row_ = m.n_rows
        self._check(self.highs.passModel(lp), "passModel")
        self._integer = np.zeros(m.n_cols, dtype=bool)
        if integer.any():
            self.set_integrality(np.flatnonzero(integer), True)
        self._cols, self._rows, self._blocks = m.n_cols, m.n_rows, m.n_term_blocks

    def sync(self) -> None:
        """Push columns and rows added to the model since the last sync."""
        m = self.model
        if m.n_cols > self._cols:
            lower, upper, cost, integer = m.columns(self._cols)
            count = m.n_cols - self._cols
            self._check(self.highs.addCols(count, cost, _finite(lower), _finite(upper), 0,
                                           np.zeros(1, np.int32), np.zeros(0, np.int32),
                                           np.zeros(0)), "addCols")
            self._integer = np.concatenate([self._integer, np.zeros(count, dtype=bool)])
            if integer.any():
                self.set_integrality(np.flatnonzero(integer) + self._cols, True)
        if m.n_rows > self._rows:
            matrix = m.matrix(self._blocks, self._rows)
            lower, upper = m.rows(self._rows)
            self._check(self.highs.addRows(
                m.n_rows - self._rows, _finite(lower), _finite(upper), matrix.nnz,
                matrix.indptr[:-1].astype(np.int32), matrix.indices.astype(np.int32),
                matrix.data), "addRows")
        self._cols, self._rows, self._blocks = m.n_cols, m.n_rows, m.n_term_blocks

    def solve(self, time_limit_seconds: float | None = None, *,
              progress: MipProgress | None = None,
              accept: tuple[str, ...] = ("Optimal",)) -> SolveOutcome:
        """Solve as the model stands; raises :class:`ClearingFailed` unless optimal.

        The time limit (default: the session's) applies to this call alone: HiGHS
        measures its limit on a clock that runs across calls, so it is moved on.
        ``progress`` records the MIP's bounds while it runs. ``accept`` names
        further statuses that return a solution (e.g. ``"Time limit reached"``
        for a heuristic that keeps its best solution so far).
        """
        self.sync()
        budget = self.time_limit_seconds if time_limit_seconds is None else time_limit_seconds
        self.highs.setOptionValue("time_limit", self.highs.getRunTime() + budget)
        recorder = None
        if progress is not None:
            def recorder(event: Any) -> None:
                out = event.data_out
                progress.record(out.mip_primal_bound, out.mip_dual_bound)

            self.highs.cbMipInterrupt.subscribe(recorder)
        start = time.perf_counter()
        try:
            self.highs.run()
        finally:
            if recorder is not None:
                self.highs.cbMipInterrupt.unsubscribe(recorder)
        seconds = time.perf_counter() - start
        status = self.highs.getModelStatus()
        name = self.highs.modelStatusToString(status)
        info = self.highs.getInfo()
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        if status != highspy.HighsModelStatus.kOptimal and not (
                name in accept and has_solution):
            raise ClearingFailed(name)
        solution = self.highs.getSolution()
        is_mip = bool(self._integer.any())
        if progress is not None and is_mip:
            progress.record(info.objective_function_value, info.mip_dual_bound)
        return SolveOutcome(
            status=name,
            objective=float(info.objective_function_value),
            col_value=np.asarray(solution.col_value, dtype=np.float64),
            row_value=np.asarray(solution.row_value, dtype=np.float64),
            row_dual=np.asarray(solution.row_dual, dtype=np.float64),
            col_dual=np.asarray(solution.col_dual, dtype=np.float64),
            mip_gap=float(info.mip_gap) if is_mip else None,
            seconds=seconds,
        )

    def set_column_bounds(self, index: npt.ArrayLike, lower: npt.ArrayLike,
                          upper: npt.ArrayLike) -> None:
        """Change bounds of existing columns (broadcast)."""
        idx, lo, hi = _triple(index, lower, upper)
        if idx.size:
            self._check(self.highs.changeColsBounds(idx.size, idx, _finite(lo), _finite(hi)),
                        "changeColsBounds")

    def set_row_bounds(self, index: npt.ArrayLike, lower: npt.ArrayLike,
                       upper: npt.ArrayLike) -> None:
        """Change bounds of existing rows (broadcast)."""
        idx, lo, hi = _triple(index, lower, upper)
        if idx.size:
            change = self.highs.changeRowsBounds  # type: ignore[attr-defined]
            self._check(change(idx.size, idx, _finite(lo), _finite(hi)),
                        "changeRowsBounds")

    def set_costs(self, index: npt.ArrayLike, cost: npt.ArrayLike) -> None:
        """Change objective coefficients of existing columns (broadcast)."""
        idx, values, _ = _triple(index, cost, cost)
        if idx.size:
            self._check(self.highs.changeColsCost(idx.size, idx, values), "changeColsCost")

    def set_objective_offset(self, offset: float) -> None:
        """Change the objective's constant term."""
        self._check(self.highs.changeObjectiveOffset(float(offset)), "changeObjectiveOffset")

    def set_coefficients(self, rows: npt.ArrayLike, cols: npt.ArrayLike,
                         values: npt.ArrayLike) -> None:
        """Change existing matrix coefficients (one call per entry: for small updates)."""
        r, c, v = np.broadcast_arrays(np.asarray(rows), np.asarray(cols),
                                      np.asarray(values, dtype=np.float64))
        for row, col, value in zip(r.ravel().tolist(), c.ravel().tolist(), v.ravel().tolist(),
                                   strict=True):
            self._check(self.highs.changeCoeff(row, col, value), "changeCoeff")

    def set_integrality(self, index: npt.ArrayLike, integer: bool) -> None:
        """Make columns integer or continuous."""
        idx = np.asarray(index, dtype=np.int32).reshape(-1)
        idx = idx[idx >= 0]
        if idx.size:
            kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
            kinds = np.full(idx.size, int(kind), dtype=np.uint8)
            self._check(self.highs.changeColsIntegrality(idx.size, idx, kinds),
                        "changeColsIntegrality")
            self._integer[idx] = integer

    @staticmethod
    def _check(status: highspy.HighsStatus, what: str) -> None:
        if status == highspy.HighsStatus.kError:
            raise ClearingFailed("solver error", what)


def _finite(values: FloatArray) -> FloatArray:
    # HiGHS spells infinity as its own constant.
    return np.clip(np.asarray(values, dtype=np.float64), -_INF, _INF)


def _triple(index: npt.ArrayLike, a: npt.ArrayLike, b: npt.ArrayLike
            ) -> tuple[npt.NDArray[np.int32], FloatArray, FloatArray]:
    idx, lo, hi = np.broadcast_arrays(np.asarray(index), np.asarray(a, dtype=np.float64),
                                      np.asarray(b, dtype=np.float64))
    keep = idx.reshape(-1) >= 0
    return (idx.reshape(-1)[keep].astype(np.int32), lo.reshape(-1)[keep].astype(np.float64),
            hi.reshape(-1)[keep].astype(np.float64))


__all__ = ["ClearingFailed", "HighsSession", "IntArray", "SolveOutcome"]
