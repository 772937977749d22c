"""A linear (mixed-integer) model assembled from vectorised blocks.

Variables and constraints are added as whole numpy-shaped blocks (one per
family: unit outputs, ramp rows, ...), and coefficients as broadcast
``(rows, cols, values)`` triples, so a formulation never loops over units or
periods in Python. Index ``-1`` marks an absent row or column (a masked-out
element); terms touching it are dropped. Columns added with ``constant=True``
whose bounds fix them (``lower == upper``) are constants: their terms move
into the row bounds instead of the matrix, so the numbers they carry (a unit's
Pmax times a fixed commitment) stay bounds that can be changed in place. Only
columns that are fixed for structural reasons should be (a dispatch run's
commitment): whether a term is in the matrix then never depends on the data.

Example::

    >>> m = LinearModel()
    >>> x = m.add_columns((2,), upper=10.0, cost=[1.0, 2.0])
    >>> r = m.add_rows((1,), lower=5.0)
    >>> m.add_terms(r[:, None], x[None, :], 1.0)
    >>> m.matrix().toarray().tolist()
    [[1.0, 1.0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class LinearModel:
    """Columns, rows and coefficient triples; the single source for the solver session."""

    def __init__(self) -> None:
        self.n_cols = 0
        self.n_rows = 0
        self._col_lower: list[FloatArray] = []
        self._col_upper: list[FloatArray] = []
        self._col_cost: list[FloatArray] = []
        self._col_integer: list[npt.NDArray[np.bool_]] = []
        self._row_lower: list[FloatArray] = []
        self._row_upper: list[FloatArray] = []
        self._terms: list[tuple[IntArray, IntArray, FloatArray]] = []
        self._fixed_value = np.zeros(0)  # NaN where a column is not fixed
        self._row_shift = np.zeros(0)  # Σ coefficient × value of fixed columns, per row
        self.objective_offset = 0.0

    def add_columns(
        self,
        shape: tuple[int, ...],
        *,
        lower: Any = 0.0,
        upper: Any = np.inf,
        cost: Any = 0.0,
        integer: Any = False,
        mask: Any = None,
        constant: bool = False,
    ) -> IntArray:
        """Add a block of variables; returns their indices in ``shape`` (-1 where masked).

        ``integer`` is a flag or a mask broadcast to ``shape``; with ``constant``,
        the fixed ones among them are constants of the rows they enter.
        """
        keep = _mask(mask, shape)
        count = int(keep.sum())
        index = np.full(shape, -1, dtype=np.int64)
        index[keep] = np.arange(self.n_cols, self.n_cols + count)
        self._col_lower.append(_pick(lower, shape, keep))
        self._col_upper.append(_pick(upper, shape, keep))
        self._col_cost.append(_pick(cost, shape, keep))
        self._col_integer.append(np.broadcast_to(np.asarray(integer, dtype=bool), shape)[keep])
        low, high = self._col_lower[-1], self._col_upper[-1]
        fixed = np.where((low == high) & np.isfinite(low) & constant, low, np.nan)
        self._fixed_value = _grown(self._fixed_value, self.n_cols + count, np.nan)
        self._fixed_value[self.n_cols:self.n_cols + count] = fixed
        self.n_cols += count
        return index

    def add_rows(
        self,
        shape: tuple[int, ...],
        *,
        lower: Any = -np.inf,
        upper: Any = np.inf,
        mask: Any = None,
    ) -> IntArray:
        """Add a block of constraints ``lower ≤ a·x ≤ upper``; returns indices (-1 where masked)."""
        keep = _mask(mask, shape)
        count = int(keep.sum())
        index = np.full(shape, -1, dtype=np.int64)
        index[keep] = np.arange(self.n_rows, self.n_rows + count)
        self._row_lower.append(_pick(lower, shape, keep))
        self._row_upper.append(_pick(upper, shape, keep))
        self._row_shift = _grown(self._row_shift, self.n_rows + count, 0.0)
        self.n_rows += count
        return index

    def add_terms(self, rows: Any, cols: Any, coefs: Any = 1.0) -> None:
        """Add coefficients; the three arguments broadcast together. Duplicates are summed."""
        r, c, v = np.broadcast_arrays(
            np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64),
            np.asarray(coefs, dtype=np.float64),
        )
        keep = (r >= 0) & (c >= 0) & (v != 0)
        r, c, v = r[keep], c[keep], v[keep]  # boolean indexing copies: new, contiguous
        value = self._fixed_value[c]
        constant = ~np.isnan(value)
        if constant.any():
            np.add.at(self._row_shift, r[constant], v[constant] * value[constant])
            variable = ~constant
            r, c, v = r[variable], c[variable], v[variable]
        self._terms.append((r, c, v))

    def columns(
        self, start: int = 0
    ) -> tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.bool_]]:
        """Lower, upper, cost and integrality of columns from ``start`` on."""
        return (_cat(self._col_lower)[start:], _cat(self._col_upper)[start:],
                _cat(self._col_cost)[start:],
                np.concatenate(self._col_integer)[start:] if self._col_integer
                else np.zeros(0, dtype=bool))

    def rows(self, start: int = 0) -> tuple[FloatArray, FloatArray]:
        """Lower and upper bounds of rows from ``start`` on, less the fixed columns' part."""
        shift = self._row_shift[start:self.n_rows]
        return _cat(self._row_lower)[start:] - shift, _cat(self._row_upper)[start:] - shift

    @property
    def n_term_blocks(self) -> int:
        return len(self._terms)

    def matrix(self, first_block: int = 0, row_start: int = 0) -> sp.csr_matrix:
        """Coefficients of term blocks from ``first_block`` on, rows shifted by ``row_start``."""
        blocks = self._terms[first_block:]
        if blocks:
            r = np.concatenate([b[0] for b in blocks]) - row_start
            c = np.concatenate([b[1] for b in blocks])
            v = np.concatenate([b[2] for b in blocks])
        else:
            r = c = np.zeros(0, dtype=np.int64)
            v = np.zeros(0)
        shape = (self.n_rows - row_start, self.n_cols)
        return sp.csr_matrix(sp.coo_matrix((v, (r, c)), shape=shape))


def values(vector: FloatArray, index: IntArray) -> FloatArray:
    """``vector[index]`` with 0 where the index is -1 (an absent column or row).

    Example::

        >>> values(np.array([5.0, 7.0]), np.array([[1, -1]])).tolist()
        [[7.0, 0.0]]
    """
    return np.where(index >= 0, vector[np.clip(index, 0, None)], 0.0)


def _mask(mask: Any, shape: tuple[int, ...]) -> npt.NDArray[np.bool_]:
    if mask is None:
        return np.ones(shape, dtype=bool)
    return np.broadcast_to(np.asarray(mask, dtype=bool), shape)


def _pick(value: Any, shape: tuple[int, ...], keep: npt.NDArray[np.bool_]) -> FloatArray:
    full = np.broadcast_to(np.asarray(value, dtype=np.float64), shape)
    return np.asarray(full[keep], dtype=np.float64)


def _grown(array: FloatArray, size: int, fill: float) -> FloatArray:
    """``array`` with room for ``size`` entries (capacity doubles, so growth is amortised)."""
    if size <= array.size:
        return array
    grown = np.full(max(size, 2 * array.size), fill)
    grown[:array.size] = array
    return grown


def _cat(parts: list[FloatArray]) -> FloatArray:
    return np.concatenate(parts) if parts else np.zeros(0)
