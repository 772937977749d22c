"""CSV readers that report bad data by file, row and column.

Two shapes of file are read here:

* :class:`CsvTable` — a small table read with the :mod:`csv` module, each cell
  fetched through a typed getter (:meth:`CsvTable.number`,
  :meth:`CsvTable.integer`, ...) that names the file, the row (as numbered in
  the file, header = row 1) and the column when the cell is bad.
* :class:`SeriesFile` — a time-series file in either layout used by RTS-GMLC:
  *columnar* (``Year,Month,Day,Period,<series>...``, one row per period) or
  *2-D* (``Year,Month,Day,1,2,...,N``, one row per day). Values are read with
  polars and checked cell by cell.

Reads are cached by path, size and modification time, so repeated calls cost
nothing and an edited file is read again.

Example::

    >>> from pathlib import Path
    >>> table = read_csv_table(Path("bus.csv"))  # doctest: +SKIP
    >>> table.number(0, "MW Load")  # the value on file row 2  # doctest: +SKIP
    108.0
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

MISSING_MARKERS = frozenset({"", "NA", "N/A", "NAN", "NULL", "NONE"})
"""Cell texts (case-insensitive) that mean "no value" in optional columns."""

DATE_COLUMNS = ("Year", "Month", "Day")
_MICROSECONDS_PER_MINUTE = 60_000_000
_EPOCH = date(1970, 1, 1)


class RtsDataError(ValueError):
    """A data file is missing or holds a bad value.

    The message names the file, and where it applies the row (as numbered in
    the file, header = row 1) and the column, e.g.
    ``gen.csv row 14, column 'PMax MW': 'abc' is not a number``.

    Example::

        >>> error = RtsDataError("'x' is not a number", file="gen.csv", row=14, column="PMax MW")
        >>> str(error)
        "gen.csv row 14, column 'PMax MW': 'x' is not a number"
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.detail = message
        super().__init__(_locate(message, self.file, row, column))


def _locate(message: str, file: str | None, row: int | None, column: str | None) -> str:
    where = []
    if file is not None:
        where.append(Path(file).name)
    if row is not None:
        where.append(f"row {row}")
    if not where and column is None:
        return message
    prefix = " ".join(where)
    if column is not None:
        prefix = f"{prefix}, column '{column}'" if prefix else f"column '{column}'"
    return f"{prefix}: {message}"


def file_fingerprint(path: Path) -> tuple[str, int, int]:
    """``(resolved path, size, mtime)`` of a file: the cache key of its content.

    A missing file raises :class:`RtsDataError` naming its path.

    Example::

        >>> file_fingerprint(Path("gen.csv"))  # doctest: +SKIP
        ('/data/rts-gmlc/SourceData/gen.csv', 32451, 1732544880000000000)
    """
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise RtsDataError(f"RTS-GMLC file not found: {path}") from None
    if not path.is_file():
        raise RtsDataError(f"RTS-GMLC path is not a file: {path}")
    return (str(path.resolve()), stat.st_size, stat.st_mtime_ns)


def _normalise_name(name: str) -> str:
    return " ".join(name.strip().lower().split())


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class CsvTable:
    """A CSV file held as text, with typed, error-reporting cell getters.

    ``rows[i]`` is data record ``i``; :meth:`file_row` gives its row number in
    the file (header = row 1).
    """

    path: Path
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    line_numbers: tuple[int, ...]

    @property
    def name(self) -> str:
        """The file name, as used in error messages."""
        return self.path.name

    def __len__(self) -> int:
        return len(self.rows)

    def file_row(self, index: int) -> int:
        """The row number in the file of data record ``index`` (header = row 1)."""
        return self.line_numbers[index]

    def has_column(self, *names: str) -> bool:
        """Whether any of ``names`` is a column (exact, then case-insensitive match)."""
        return self._find(names) is not None

    def require_columns(self, *names: str) -> None:
        """Raise :class:`RtsDataError` naming the first of ``names`` that is missing."""
        for name in names:
            self.column_index(name)

    def column_index(self, *names: str) -> int:
        """Index of the first of ``names`` present (aliases for one column)."""
        found = self._find(names)
        if found is None:
            raise RtsDataError(f"missing column '{names[0]}'", file=self.path)
        return found

    def column_name(self, *names: str) -> str:
        """The header text of the first of ``names`` present."""
        return self.header[self.column_index(*names)]

    def _find(self, names: Iterable[str]) -> int | None:
        names = tuple(names)
        for name in names:
            if name in self.header:
                return self.header.index(name)
        normalised = [_normalise_name(h) for h in self.header]
        for name in names:
            key = _normalise_name(name)
            if key in normalised:
                return normalised.index(key)
        return None

    def _cell(self, index: int, names: tuple[str, ...]) -> tuple[str, str]:
        column = self.column_index(*names)
        return self.rows[index][column].strip(), self.header[column]

    def error(self, index: int, column: str, message: str) -> RtsDataError:
        """An :class:`RtsDataError` located at data record ``index``, ``column``."""
        return RtsDataError(message, file=self.path, row=self.file_row(index), column=column)

    def text(self, index: int, *names: str, allow_empty: bool = False) -> str:
        """The stripped text of a cell; empty text is an error unless allowed."""
        value, column = self._cell(index, names)
        if not value and not allow_empty:
            raise self.error(index, column, "value is missing")
        return value

    def optional_number(self, index: int, *names: str) -> float | None:
        """A number, or ``None`` for an empty/``NA`` cell or an absent column."""
        if self._find(names) is None:
            return None
        value, column = self._cell(index, names)
        if value.upper() in MISSING_MARKERS:
            return None
        return self._parse_number(index, column, value)

    def number(self, index: int, *names: str) -> float:
        """A finite number; a missing or non-numeric cell raises :class:`RtsDataError`."""
        value, column = self._cell(index, names)
        if value.upper() in MISSING_MARKERS:
            raise self.error(index, column, f"value is missing ({value!r})")
        return self._parse_number(index, column, value)

    def integer(self, index: int, *names: str) -> int:
        """An integer (``"3"`` or ``"3.0"``); anything else raises :class:`RtsDataError`."""
        value = self.number(index, *names)
        if not value.is_integer():
            raise self.error(index, self.column_name(*names), f"{value!r} is not an integer")
        return int(value)

    def _parse_number(self, index: int, column: str, value: str) -> float:
        try:
            parsed = float(value)
        except ValueError:
            raise self.error(index, column, f"{value!r} is not a number") from None
        if not math.isfinite(parsed):
            raise self.error(index, column, f"{value!r} is not a finite number")
        return parsed


def read_csv_table(path: Path) -> CsvTable:
    """Read a CSV file as text (cached by path, size and modification time).

    A missing file, an empty file, or a row with the wrong number of fields
    raises :class:`RtsDataError`. Blank lines are skipped.

    Example::

        >>> table = read_csv_table(Path("branch.csv"))  # doctest: +SKIP
        >>> table.number(0, "X")  # doctest: +SKIP
        0.014
    """
    return _read_csv_table(file_fingerprint(path))


@lru_cache(maxsize=64)
def _read_csv_table(key: tuple[str, int, int]) -> CsvTable:
    path = Path(key[0])
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header: tuple[str, ...] | None = None
        rows: list[tuple[str, ...]] = []
        lines: list[int] = []
        for record in reader:
            if not record or all(not cell.strip() for cell in record):
                continue
            if header is None:
                header = tuple(cell.strip() for cell in record)
                continue
            if len(record) != len(header):
                raise RtsDataError(
                    f"expected {len(header)} fields, found {len(record)}",
                    file=path,
                    row=reader.line_num,
                )
            rows.append(tuple(record))
            lines.append(reader.line_num)
    if header is None:
        raise RtsDataError("file is empty (no header row)", file=path)
    return CsvTable(path=path, header=header, rows=tuple(rows), line_numbers=tuple(lines))


# --------------------------------------------------------------------------- series


@dataclass(frozen=True)
class SeriesFile:
    """A time-series file: equally spaced intervals on the file's own clock.

    ``start_clock_us`` holds the start of the first interval as microseconds
    since 1970-01-01 00:00 *of the file's clock* (no time zone is applied
    here); interval ``i`` starts ``i * interval_minutes`` later. ``columns``
    maps a series name to its values (float64, one per interval). A 2-D file
    holds a single series under the name :attr:`SINGLE`.
    """

    SINGLE = ""

    path: Path
    layout: Literal["columnar", "2d"]
    periods_per_day: int
    start_clock_us: int
    columns: dict[str, np.ndarray]

    @property
    def interval_minutes(self) -> int:
        """Length of one interval in minutes (1440 / periods per day)."""
        return 1440 // self.periods_per_day

    @property
    def interval_count(self) -> int:
        """Number of intervals in the file."""
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def series(self, name: str) -> np.ndarray:
        """The values of series ``name`` (for a 2-D file, any name gives its only series)."""
        if self.layout == "2d":
            return self.columns[self.SINGLE]
        if name in self.columns:
            return self.columns[name]
        raise RtsDataError(f"no column '{name}'", file=self.path)


def read_series_file(path: Path) -> SeriesFile:
    """Read a columnar or 2-D time-series file (cached by path, size and mtime).

    Every cell must be a number; dates must be consecutive days and, in a
    columnar file, periods must run 1..N within each day. Failures raise
    :class:`RtsDataError` naming file, row and column.

    Example::

        >>> wind = read_series_file(Path("WIND/DAY_AHEAD_wind.csv"))  # doctest: +SKIP
        >>> wind.interval_minutes, wind.series("309_WIND_1")[0]  # doctest: +SKIP
        (60, 142.8)
    """
    return _read_series_file(file_fingerprint(path))


@lru_cache(maxsize=64)
def _read_series_file(key: tuple[str, int, int]) -> SeriesFile:
    path = Path(key[0])
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except (pl.exceptions.PolarsError, OSError) as error:
        raise RtsDataError(f"cannot be read as CSV ({error})", file=path) from None
    header = [name.strip() for name in frame.columns]
    frame.columns = header
    for name in DATE_COLUMNS:
        if name not in header:
            raise RtsDataError(f"missing column '{name}'", file=path)
    if frame.height == 0:
        raise RtsDataError("file has no data rows", file=path)
    numbers = _numeric_columns(path, frame)
    days = _day_numbers(path, numbers)
    if "Period" in header:
        periods = numbers["Period"]
        periods_per_day = int(periods.max())
        value_names = [n for n in header if n not in (*DATE_COLUMNS, "Period")]
        slots = days.astype(np.int64) * periods_per_day + (periods.astype(np.int64) - 1)
        bad_period = np.flatnonzero((periods < 1) | (periods != np.round(periods)))
        if bad_period.size:
            row = int(bad_period[0])
            raise RtsDataError(
                f"period {periods[row]!r} is not a whole number from 1",
                file=path,
                row=row + 2,
                column="Period",
            )
        _check_consecutive(path, slots, "Period")
        if 1440 % periods_per_day:
            raise RtsDataError(
                f"{periods_per_day} periods a day do not divide the day evenly",
                file=path,
                column="Period",
            )
        start_slot = int(slots[0])
        columns = {name: numbers[name] for name in value_names}
        layout: Literal["columnar", "2d"] = "columnar"
    else:
        period_names = [n for n in header if n not in DATE_COLUMNS]
        expected = [str(i) for i in range(1, len(period_names) + 1)]
        if period_names != expected or not period_names:
            raise RtsDataError(
                "expected a 'Period' column or period columns named 1..N after Year,Month,Day",
                file=path,
            )
        periods_per_day = len(period_names)
        if 1440 % periods_per_day:
            raise RtsDataError(
                f"{periods_per_day} period columns do not divide the day evenly", file=path
            )
        _check_consecutive(path, days.astype(np.int64), "Day")
        matrix = np.column_stack([numbers[name] for name in period_names])
        start_slot = int(days[0]) * periods_per_day
        columns = {SeriesFile.SINGLE: matrix.reshape(-1)}
        layout = "2d"
    step_us = (1440 // periods_per_day) * _MICROSECONDS_PER_MINUTE
    return SeriesFile(
        path=path,
        layout=layout,
        periods_per_day=periods_per_day,
        start_clock_us=start_slot * step_us,
        columns=columns,
    )


def _numeric_columns(path: Path, frame: pl.DataFrame) -> dict[str, np.ndarray]:
    """Every column as float64; the first bad cell (by row, then column) raises."""
    text = frame.select(pl.all().str.strip_chars())
    numbers = text.select(pl.all().cast(pl.Float64, strict=False))
    bad = numbers.select(pl.all().is_null() | pl.all().is_nan() | pl.all().is_infinite())
    if bad.select(pl.any_horizontal(pl.all().any())).item():
        row = int(bad.select(pl.any_horizontal(pl.all())).to_series().arg_true()[0])
        name = next(n for n in bad.columns if bad[row, n])
        value = text[row, name]
        message = (
            "value is missing" if value is None or value == "" else f"{value!r} is not a number"
        )
        raise RtsDataError(message, file=path, row=row + 2, column=name)
    matrix = numbers.to_numpy(order="fortran").astype(np.float64, copy=False)
    return {name: matrix[:, k] for k, name in enumerate(numbers.columns)}


def _day_numbers(path: Path, numbers: dict[str, np.ndarray]) -> np.ndarray:
    """Days since 1970-01-01 of each row's Year/Month/Day (validated)."""
    years, months, days = (numbers[name] for name in DATE_COLUMNS)
    # Validate cheaply on the distinct dates only.
    stacked = np.column_stack([years, months, days])
    distinct, first_rows, inverse = np.unique(
        stacked, axis=0, return_index=True, return_inverse=True
    )
    ordinals = np.empty(len(distinct), dtype=np.int64)
    for k, (year, month, day) in enumerate(distinct):
        try:
            if not (year.is_integer() and month.is_integer() and day.is_integer()):
                raise ValueError
            ordinals[k] = (date(int(year), int(month), int(day)) - _EPOCH).days
        except ValueError:
            raise RtsDataError(
                f"{int(year) if year.is_integer() else year}-{month}-{day} is not a date",
                file=path,
                row=int(first_rows[k]) + 2,
                column="Day",
            ) from None
    return ordinals[inverse.reshape(-1)]


def _check_consecutive(path: Path, slots: np.ndarray, column: str) -> None:
    steps = np.diff(slots)
    bad = np.flatnonzero(steps != 1)
    if bad.size:
        row = int(bad[0]) + 1  # data index of the offending row
        raise RtsDataError(
            "rows are not consecutive (a period or day is missing, repeated or out of order)",
            file=path,
            row=row + 2,
            column=column,
        )
