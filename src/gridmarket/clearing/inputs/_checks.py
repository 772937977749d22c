"""Validation helpers shared by the input tables.

Every check raises :class:`InputError` naming the table, the row (the element's id,
plus period and segment where the field has those axes) and the field, so a bad
bid can be traced back to its source without reading the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]


class InputError(ValueError):
    """A clearing input table holds a value the engine cannot accept.

    Example::

        >>> str(InputError("UnitOffers", "p_max_mw", "below p_min_mw", row="G1, period 3"))
        "UnitOffers, row G1, period 3, field 'p_max_mw': below p_min_mw"
    """

    def __init__(self, table: str, field: str, message: str, row: str | None = None) -> None:
        self.table = table
        self.field = field
        self.row = row
        where = f"{table}, row {row}" if row is not None else table
        super().__init__(f"{where}, field {field!r}: {message}")


def frozen(array: np.ndarray) -> np.ndarray:
    """Mark an array read-only so an input table cannot change after validation."""
    array.flags.writeable = False
    return array


def ids(table: str, field: str, values: Sequence[str] | np.ndarray) -> StrArray:
    """A 1-D array of unique, non-empty string identifiers."""
    array = np.asarray(values, dtype=np.str_).reshape(-1)
    if array.size and np.any(array == ""):
        raise InputError(table, field, "empty identifier", row=f"#{int(np.argmax(array == ''))}")
    unique, counts = np.unique(array, return_counts=True)
    if np.any(counts > 1):
        raise InputError(table, field, "duplicate identifier", row=str(unique[counts > 1][0]))
    return frozen(array)


def strings(table: str, field: str, values: Sequence[str] | np.ndarray, n: int) -> StrArray:
    """A 1-D array of ``n`` strings (references to other tables' ids)."""
    array = np.asarray(values, dtype=np.str_).reshape(-1)
    if array.shape != (n,):
        raise InputError(table, field, f"expected {n} values, got {array.size}")
    return frozen(array)


def floats(
    table: str,
    field: str,
    value: Any,
    shape: tuple[int, ...],
    *,
    allow_inf: bool = False,
    row_ids: np.ndarray | None = None,
) -> FloatArray:
    """A float array of exactly ``shape`` (scalars and trailing-axis broadcasts allowed).

    NaN is always rejected; infinity only where ``allow_inf`` (e.g. "no ramp limit").
    """
    array = np.asarray(value, dtype=np.float64)
    try:
        array = np.array(np.broadcast_to(_align(array, len(shape)), shape), dtype=np.float64)
    except ValueError:
        raise InputError(
            table, field, f"shape {np.shape(value)} does not fit {shape}"
        ) from None
    bad = np.isnan(array) if allow_inf else ~np.isfinite(array)
    if np.any(bad):
        raise InputError(table, field, "not a finite number", row=locate(bad, row_ids))
    return frozen(array)


def integers(
    table: str, field: str, value: Any, shape: tuple[int, ...], row_ids: np.ndarray | None = None
) -> IntArray:
    """An integer array of exactly ``shape``; floats must be whole numbers."""
    raw = floats(table, field, value, shape, row_ids=row_ids)
    if np.any(raw != np.round(raw)):
        fractional = raw != np.round(raw)
        raise InputError(table, field, "not a whole number", row=locate(fractional, row_ids))
    return frozen(raw.astype(np.int64))


def bools(table: str, field: str, value: Any, shape: tuple[int, ...]) -> BoolArray:
    """A boolean array of exactly ``shape``."""
    array = np.asarray(value, dtype=np.bool_)
    try:
        array = np.array(np.broadcast_to(_align(array, len(shape)), shape), dtype=np.bool_)
    except ValueError:
        raise InputError(table, field, f"shape {np.shape(value)} does not fit {shape}") from None
    return frozen(array)


def _align(array: np.ndarray, ndim: int) -> np.ndarray:
    # A per-element vector (n,) broadcasts along later axes (periods, segments), unlike
    # numpy's default of aligning trailing axes.
    while 0 < array.ndim < ndim:
        array = array[..., None]
    return array


def locate(mask: np.ndarray, row_ids: np.ndarray | None = None) -> str:
    """Describe the first True element of ``mask``: element id, period, segment."""
    index = np.unravel_index(int(np.argmax(mask)), mask.shape)
    parts = []
    if index:
        first = int(index[0])
        parts.append(str(row_ids[first]) if row_ids is not None and row_ids.size else f"#{first}")
    labels = ("period", "segment", "product")
    for label, position in zip(labels, index[1:], strict=False):
        parts.append(f"{label} {int(position)}")
    return ", ".join(parts)


def require(condition: np.ndarray | bool, table: str, field: str, message: str,
            row_ids: np.ndarray | None = None) -> None:
    """Raise unless ``condition`` holds everywhere, naming the first failing row."""
    failing = ~np.asarray(condition, dtype=np.bool_)
    if np.any(failing):
        row = locate(failing, row_ids) if failing.ndim else None
        raise InputError(table, field, message, row=row)


def monotone_segments(
    table: str, field: str, width_mw: FloatArray, price: FloatArray, row_ids: np.ndarray,
    *, increasing: bool,
) -> None:
    """Prices of the segments that carry MW must be monotone along the last axis."""
    signed = price if increasing else -price
    used = width_mw > 0
    running = np.maximum.accumulate(np.where(used, signed, -np.inf), axis=-1)
    previous = np.concatenate(
        [np.full((*running.shape[:-1], 1), -np.inf), running[..., :-1]], axis=-1
    )
    direction = "non-decreasing" if increasing else "non-increasing"
    require(~(used & (signed < previous)), table, field, f"segment prices must be {direction}",
            row_ids)
