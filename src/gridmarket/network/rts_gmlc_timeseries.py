"""RTS-GMLC time series on UTC intervals: day-ahead (hourly) and real-time (5-minute).

**Clock.** The RTS-GMLC files number periods within each calendar date of
2020 and carry no daylight saving time. They are read as a fixed UTC−8 clock
(Pacific Standard Time all year): period ``p`` of a date ``d`` in a file with
``N`` periods a day covers ``[d 00:00 + (p−1)·1440/N min, +1440/N min)`` at
UTC−8, i.e. eight hours later in UTC. The data therefore cover
2020-01-01T08:00Z to 2021-01-01T08:00Z. A Pacific trade day (see
:func:`trade_day_utc_range`) maps to 24 UTC hours, 23 on the spring-forward
day and 25 on the fall-back day; in summer it starts at 07:00Z and so uses
the last hour of the previous data date.

**Output.** Both readers return a long polars DataFrame with columns
``interval_start_utc`` (``Datetime("us", "UTC")``), ``interval_minutes``,
``kind`` (``area_load``, ``resource_pmax``, ``reserve_requirement``, and
``resource_natural_inflow`` on request), ``object_id`` (area ``"1"``..``"3"``,
``GEN UID`` or reserve product) and ``value_mw``, sorted by kind, object and
time. An interval is returned when its start lies in ``[start_utc, end_utc)``.

**Values.** The pointed files hold MW (loads peak at exactly the area's bus
load sum, 2,850 MW; wind, PV and hydro peak at their Pmax). The pointer's
*Scaling Factor* is the divisor that would turn them into per-unit, so it is
not multiplied in; only a file whose values never exceed 1 over the year
while its factor exceeds 1 is taken as per-unit and multiplied by the factor.

**Real-time derivations** (files not shipped upstream): area load from the
``Load/origin/RT_{APS,NEVP,LDWP}_Promod_2020.csv`` files, divided by the
series' maximum over the year and multiplied by the area's bus load sum;
PV, rooftop PV and CSP linearly interpolated from the hourly values, each
hourly value placed at the middle of its hour and read at the middle of each
5-minute interval (flat before the first and after the last mid-hour);
hydro and spinning reserve held flat at the hourly value. Wind and
regulation come from their real-time files.

Example::

    >>> from datetime import date
    >>> from gridmarket.config import get_settings
    >>> start, end = trade_day_utc_range(date(2020, 7, 15))
    >>> frame = day_ahead_series(get_settings().rts_gmlc_dir, start, end)  # doctest: +SKIP
    >>> frame.filter(kind="area_load").height  # doctest: +SKIP
    72
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from gridmarket.network.csv_tables import (
    RtsDataError,
    SeriesFile,
    file_fingerprint,
    read_series_file,
)
from gridmarket.network.rts_gmlc import (
    RtsSystem,
    TimeseriesPointer,
    find_case_insensitive,
    read_rts_gmlc,
    resolve_data_file,
    source_data_dir,
)

__all__ = [
    "DATA_UTC_OFFSET",
    "REAL_TIME_INTERVAL_MINUTES",
    "RT_LOAD_ORIGIN_FILES",
    "SERIES_COLUMNS",
    "data_coverage_utc",
    "data_period_start_utc",
    "day_ahead_series",
    "real_time_series",
    "trade_day_utc_range",
]

DATA_UTC_OFFSET = timedelta(hours=-8)
"""The fixed clock of the RTS-GMLC files: UTC−8 (Pacific Standard Time), no DST."""
REAL_TIME_INTERVAL_MINUTES = 5
"""Real-time interval length (``simulation_objects.csv``: 300 s)."""
RT_LOAD_ORIGIN_FILES = {
    "1": "RT_APS_Promod_2020.csv",
    "2": "RT_NEVP_Promod_2020.csv",
    "3": "RT_LDWP_Promod_2020.csv",
}
"""Area → 5-minute origin load file in ``timeseries_data_files/Load/origin``."""
SERIES_COLUMNS = ("interval_start_utc", "interval_minutes", "kind", "object_id", "value_mw")

Kind = Literal["area_load", "resource_pmax", "reserve_requirement", "resource_natural_inflow"]
Mode = Literal["direct", "hold", "interpolate"]

_US_PER_MINUTE = 60_000_000
_OFFSET_US = -int(DATA_UTC_OFFSET / timedelta(microseconds=1))  # UTC = clock + 8 h
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SOURCE_FILES = (
    "bus.csv",
    "branch.csv",
    "dc_branch.csv",
    "gen.csv",
    "storage.csv",
    "reserves.csv",
    "timeseries_pointers.csv",
)
_SOLAR_CATEGORIES = frozenset({"solar pv", "solar rtpv", "csp"})


# --------------------------------------------------------------------------- time helpers


def trade_day_utc_range(trade_day: date, tz_name: str | None = None) -> tuple[datetime, datetime]:
    """UTC ``[start, end)`` of a trade day in the market time zone (default: the rulebook's).

    Example::

        >>> trade_day_utc_range(date(2020, 7, 15), "America/Los_Angeles")
        (datetime.datetime(2020, 7, 15, 7, 0, tzinfo=datetime.timezone.utc), \
datetime.datetime(2020, 7, 16, 7, 0, tzinfo=datetime.timezone.utc))
    """
    if tz_name is None:
        from gridmarket.config import get_settings

        tz_name = get_settings().market_parameters().time.market_timezone
    zone = ZoneInfo(tz_name)
    start = datetime.combine(trade_day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(trade_day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def data_period_start_utc(day: date, period: int, periods_per_day: int = 24) -> datetime:
    """UTC start of period ``period`` (1-based) of date ``day`` on the data's UTC−8 clock.

    Example::

        >>> data_period_start_utc(date(2020, 7, 15), 1)
        datetime.datetime(2020, 7, 15, 8, 0, tzinfo=datetime.timezone.utc)
        >>> data_period_start_utc(date(2020, 7, 15), 288, 288)
        datetime.datetime(2020, 7, 16, 7, 55, tzinfo=datetime.timezone.utc)
    """
    if not 1 <= period <= periods_per_day:
        raise ValueError(f"period {period} is not in 1..{periods_per_day}")
    minutes = (period - 1) * (1440 // periods_per_day)
    local = datetime.combine(day, time(0)) + timedelta(minutes=minutes)
    return (local - DATA_UTC_OFFSET).replace(tzinfo=UTC)


def _to_us(moment: datetime, name: str) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (got {moment!r})")
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _format_us(us: int) -> str:
    return (_EPOCH + timedelta(microseconds=us)).strftime("%Y-%m-%dT%H:%MZ")


# --------------------------------------------------------------------------- catalog


@dataclass(frozen=True)
class _Series:
    """One output series, computed on demand from a base array."""

    kind: Kind
    object_id: str
    source: Path
    start_utc_us: int
    interval_minutes: int
    count: int
    base: np.ndarray
    mode: Mode = "direct"
    ratio: int = 1
    scale: float = 1.0
    cap_mw: float | None = None

    @property
    def end_utc_us(self) -> int:
        return self.start_utc_us + self.count * self.interval_minutes * _US_PER_MINUTE

    def values(self, first: int, stop: int) -> np.ndarray:
        if self.mode == "direct":
            out = self.base[first:stop]
        elif self.mode == "hold":
            out = self.base[np.arange(first, stop) // self.ratio]
        else:
            at = (np.arange(first, stop) + 0.5) / self.ratio
            out = np.interp(at, np.arange(len(self.base)) + 0.5, self.base)
        out = out * self.scale if self.scale != 1.0 else out.astype(np.float64, copy=True)
        if self.cap_mw is not None:
            np.minimum(out, self.cap_mw, out=out)
        return out


def _system_key(source_dir: Path) -> tuple[str, tuple[tuple[str, int, int], ...]]:
    source_data = source_data_dir(Path(source_dir))
    fingerprints = []
    for name in _SOURCE_FILES:
        path = find_case_insensitive(source_data, name)
        if path is None:
            raise RtsDataError(f"RTS-GMLC file not found: {source_data / name}")
        fingerprints.append(file_fingerprint(path))
    return str(Path(source_dir)), tuple(fingerprints)


@lru_cache(maxsize=8)
def _system(key: tuple[str, tuple[tuple[str, int, int], ...]]) -> RtsSystem:
    return read_rts_gmlc(Path(key[0]))


def _pointer_file(system: RtsSystem, pointer: TimeseriesPointer) -> Path | None:
    return resolve_data_file(system.source_data_dir, pointer.data_file)


def _required_file(system: RtsSystem, pointer: TimeseriesPointer) -> Path:
    path = _pointer_file(system, pointer)
    if path is None:
        raise RtsDataError(
            f"data file {pointer.data_file!r} not found (from {system.source_data_dir})",
            file="timeseries_pointers.csv",
            row=pointer.file_row,
            column="Data File",
        )
    return path


def _column(series: SeriesFile, names: Sequence[str]) -> tuple[np.ndarray, str]:
    if series.layout == "2d":
        return series.columns[SeriesFile.SINGLE], ""
    for name in names:
        if name in series.columns:
            return series.columns[name], name
    raise RtsDataError(f"no column '{names[0]}'", file=series.path)


def _per_unit_scale(values: np.ndarray, factor: float) -> float:
    """1.0 for a MW file; ``factor`` for a file that is per-unit (max ≤ 1 < factor)."""
    peak = float(values.max()) if len(values) else 0.0
    return factor if factor > 1.0 and 0.0 < peak <= 1.0 else 1.0


def _from_file(
    kind: Kind,
    object_id: str,
    pointer: TimeseriesPointer,
    path: Path,
    columns: Sequence[str],
    cap_mw: float | None = None,
) -> _Series:
    data = read_series_file(path)
    values, _ = _column(data, columns)
    return _Series(
        kind=kind,
        object_id=object_id,
        source=path,
        start_utc_us=data.start_clock_us + _OFFSET_US,
        interval_minutes=data.interval_minutes,
        count=len(values),
        base=values,
        scale=_per_unit_scale(values, pointer.scaling_factor),
        cap_mw=cap_mw,
    )


def _classify(
    system: RtsSystem, pointer: TimeseriesPointer, include_inflow: bool
) -> list[tuple[Kind, str, list[str], float | None]]:
    """(kind, object id, candidate column names, cap) of the series a pointer yields."""
    category = pointer.category.lower()
    parameter = pointer.parameter.lower()
    if category == "area" and parameter == "mw load":
        return [("area_load", pointer.object_id, [pointer.object_id], None)]
    if category == "reserve" and parameter == "requirement":
        return [("reserve_requirement", pointer.object_id, [pointer.object_id], None)]
    if category != "generator":
        return []
    unit_id = system.unit_of_object(pointer.object_id)
    if unit_id is None:
        raise RtsDataError(
            f"object {pointer.object_id!r} is not a unit of gen.csv or a storage of storage.csv",
            file="timeseries_pointers.csv",
            row=pointer.file_row,
            column="Object",
        )
    names = [pointer.object_id, unit_id]
    if parameter == "pmax mw":
        return [("resource_pmax", unit_id, names, None)]
    if parameter == "natural_inflow":
        # CSP: the solar field's output flows into the unit's thermal store. Without
        # the store, the unit's availability is the inflow capped at Pmax.
        out: list[tuple[Kind, str, list[str], float | None]] = [
            ("resource_pmax", unit_id, names, system.generator(unit_id).p_max_mw)
        ]
        if include_inflow:
            out.append(("resource_natural_inflow", unit_id, names, None))
        return out
    return []  # PMin MW: equals the PMax series (must-take units); see Generator.is_must_take


def _sorted(series: list[_Series]) -> tuple[_Series, ...]:
    seen: set[tuple[str, str]] = set()
    for item in series:
        key = (item.kind, item.object_id)
        if key in seen:
            raise RtsDataError(
                f"two time-series pointers give {item.kind} of {item.object_id!r}",
                file="timeseries_pointers.csv",
            )
        seen.add(key)
    return tuple(sorted(series, key=lambda s: (s.kind, s.object_id)))


def _day_ahead_catalog(source_dir: Path, include_inflow: bool) -> tuple[_Series, ...]:
    key = _system_key(source_dir)
    system = _system(key)
    files = tuple(
        file_fingerprint(_required_file(system, p))
        for p in system.timeseries_pointers
        if p.simulation == "DAY_AHEAD" and _classify(system, p, include_inflow)
    )
    return _build_day_ahead(key, files, include_inflow)


@lru_cache(maxsize=8)
def _build_day_ahead(
    key: tuple[str, tuple[tuple[str, int, int], ...]],
    files: tuple[tuple[str, int, int], ...],
    include_inflow: bool,
) -> tuple[_Series, ...]:
    del files  # part of the cache key only: a changed data file is read again
    system = _system(key)
    series: list[_Series] = []
    for pointer in system.timeseries_pointers:
        if pointer.simulation != "DAY_AHEAD":
            continue
        for kind, object_id, names, cap in _classify(system, pointer, include_inflow):
            path = _required_file(system, pointer)
            series.append(_from_file(kind, object_id, pointer, path, names, cap))
    return _sorted(series)


def _real_time_inputs(system: RtsSystem) -> list[Path]:
    paths: list[Path] = []
    for pointer in system.timeseries_pointers:
        path = _pointer_file(system, pointer)
        if path is not None:
            paths.append(path)
    for name in RT_LOAD_ORIGIN_FILES.values():
        path = resolve_data_file(
            system.source_data_dir, f"../timeseries_data_files/Load/origin/{name}"
        )
        if path is not None:
            paths.append(path)
    return paths


def _real_time_catalog(source_dir: Path, include_inflow: bool) -> tuple[_Series, ...]:
    key = _system_key(source_dir)
    system = _system(key)
    files = tuple(file_fingerprint(p) for p in _real_time_inputs(system))
    return _build_real_time(key, files, include_inflow)


@lru_cache(maxsize=8)
def _build_real_time(
    key: tuple[str, tuple[tuple[str, int, int], ...]],
    files: tuple[tuple[str, int, int], ...],
    include_inflow: bool,
) -> tuple[_Series, ...]:
    del files  # cache key only
    system = _system(key)
    hourly = _day_ahead_catalog(system.source_dir, include_inflow)
    day_ahead = {(s.kind, s.object_id): s for s in hourly}
    series: list[_Series] = []
    for pointer in system.timeseries_pointers:
        if pointer.simulation != "REAL_TIME":
            continue
        path = _pointer_file(system, pointer)
        for kind, object_id, names, cap in _classify(system, pointer, include_inflow):
            if path is not None:
                series.append(_from_file(kind, object_id, pointer, path, names, cap))
            elif kind == "area_load":
                series.append(_real_time_area_load(system, pointer))
            else:
                series.append(_from_day_ahead(system, pointer, day_ahead, kind, object_id))
    return _sorted(series)


def _real_time_area_load(system: RtsSystem, pointer: TimeseriesPointer) -> _Series:
    """README derivation: origin RT series / its annual max × the area's bus load sum."""
    area = pointer.object_id
    name = RT_LOAD_ORIGIN_FILES.get(area)
    try:
        area_total_mw = system.area_loads[int(area)]
    except (KeyError, ValueError):
        raise RtsDataError(
            f"area {area!r} has no buses in bus.csv",
            file="timeseries_pointers.csv",
            row=pointer.file_row,
            column="Object",
        ) from None
    if name is None:
        raise RtsDataError(
            f"no real-time load for area {area!r}: {pointer.data_file!r} is not shipped "
            "and there is no origin file for this area",
            file="timeseries_pointers.csv",
            row=pointer.file_row,
        )
    relative = f"../timeseries_data_files/Load/origin/{name}"
    path = resolve_data_file(system.source_data_dir, relative)
    if path is None:
        raise RtsDataError(
            f"RTS-GMLC file not found: {system.source_data_dir / relative} "
            f"(needed to derive real-time load of area {area})"
        )
    data = read_series_file(path)
    values = data.series(SeriesFile.SINGLE)
    peak = float(values.max())
    if peak <= 0:
        raise RtsDataError("series maximum is not positive", file=path)
    return _Series(
        kind="area_load",
        object_id=area,
        source=path,
        start_utc_us=data.start_clock_us + _OFFSET_US,
        interval_minutes=data.interval_minutes,
        count=len(values),
        base=values,
        scale=area_total_mw / peak,
    )


def _from_day_ahead(
    system: RtsSystem,
    pointer: TimeseriesPointer,
    day_ahead: dict[tuple[Kind, str], _Series],
    kind: Kind,
    object_id: str,
) -> _Series:
    """A 5-minute series from the hourly one: interpolated (solar) or held flat (others)."""
    hourly = day_ahead.get((kind, object_id))
    if hourly is None:
        raise RtsDataError(
            f"{pointer.data_file!r} is not shipped and there is no day-ahead series "
            f"of {object_id!r} to derive it from",
            file="timeseries_pointers.csv",
            row=pointer.file_row,
            column="Data File",
        )
    if hourly.interval_minutes % REAL_TIME_INTERVAL_MINUTES:
        raise RtsDataError(
            f"a {hourly.interval_minutes}-minute series cannot be split into "
            f"{REAL_TIME_INTERVAL_MINUTES}-minute intervals",
            file=hourly.source,
        )
    ratio = hourly.interval_minutes // REAL_TIME_INTERVAL_MINUTES
    solar = (
        kind in ("resource_pmax", "resource_natural_inflow")
        and system.generator(object_id).category.lower() in _SOLAR_CATEGORIES
    )
    return _Series(
        kind=kind,
        object_id=object_id,
        source=hourly.source,
        start_utc_us=hourly.start_utc_us,
        interval_minutes=REAL_TIME_INTERVAL_MINUTES,
        count=hourly.count * ratio,
        base=hourly.base,
        mode="interpolate" if solar else "hold",
        ratio=ratio,
        scale=hourly.scale,
        cap_mw=hourly.cap_mw,
    )


# --------------------------------------------------------------------------- queries


def _frame(catalog: tuple[_Series, ...], start_utc: datetime, end_utc: datetime) -> pl.DataFrame:
    start_us = _to_us(start_utc, "start_utc")
    end_us = _to_us(end_utc, "end_utc")
    if end_us < start_us:
        raise ValueError(f"end_utc {end_utc} is before start_utc {start_utc}")
    times: list[np.ndarray] = []
    values: list[np.ndarray] = []
    kinds: list[str] = []
    objects: list[str] = []
    minutes: list[int] = []
    counts: list[int] = []
    for item in catalog:
        if start_us < item.start_utc_us or end_us > item.end_utc_us:
            raise RtsDataError(
                f"requested {_format_us(start_us)} to {_format_us(end_us)} is outside the "
                f"RTS-GMLC data, which cover {_format_us(item.start_utc_us)} to "
                f"{_format_us(item.end_utc_us)} (calendar 2020 on a fixed UTC-8 clock)",
                file=item.source,
            )
        step = item.interval_minutes * _US_PER_MINUTE
        first = -(-(start_us - item.start_utc_us) // step)  # ceiling division
        stop = -(-(end_us - item.start_utc_us) // step)
        if stop <= first:
            continue
        times.append(item.start_utc_us + step * np.arange(first, stop, dtype=np.int64))
        values.append(item.values(first, stop))
        kinds.append(item.kind)
        objects.append(item.object_id)
        minutes.append(item.interval_minutes)
        counts.append(stop - first)
    if not counts:
        return _empty_frame()
    reps = np.asarray(counts)
    return pl.DataFrame(
        {
            "interval_start_utc": pl.Series(np.concatenate(times), dtype=pl.Int64)
            .cast(pl.Datetime("us"))
            .dt.replace_time_zone("UTC"),
            "interval_minutes": pl.Series(np.repeat(minutes, reps), dtype=pl.Int64),
            "kind": pl.Series(np.repeat(np.asarray(kinds, dtype=object), reps), dtype=pl.String),
            "object_id": pl.Series(
                np.repeat(np.asarray(objects, dtype=object), reps), dtype=pl.String
            ),
            "value_mw": pl.Series(np.concatenate(values), dtype=pl.Float64),
        }
    )


def _empty_frame() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "interval_start_utc": pl.Datetime("us", "UTC"),
            "interval_minutes": pl.Int64,
            "kind": pl.String,
            "object_id": pl.String,
            "value_mw": pl.Float64,
        }
    )


def day_ahead_series(
    source_dir: Path,
    start_utc: datetime,
    end_utc: datetime,
    *,
    include_csp_inflow: bool = False,
) -> pl.DataFrame:
    """Hourly day-ahead series whose interval starts lie in ``[start_utc, end_utc)``.

    Kinds: ``area_load`` (areas ``"1"``..``"3"``), ``resource_pmax`` (wind,
    PV, rooftop PV, hydro; CSP as its natural inflow capped at Pmax) and
    ``reserve_requirement`` (all seven products); with
    ``include_csp_inflow`` also ``resource_natural_inflow`` (CSP, uncapped).
    A range outside the data raises :class:`RtsDataError`.

    Example::

        >>> start, end = trade_day_utc_range(date(2020, 3, 8), "America/Los_Angeles")
        >>> frame = day_ahead_series(rts_dir, start, end)  # doctest: +SKIP
        >>> frame.filter(kind="area_load", object_id="1").height  # doctest: +SKIP
        23
    """
    return _frame(_day_ahead_catalog(Path(source_dir), include_csp_inflow), start_utc, end_utc)


def real_time_series(
    source_dir: Path,
    start_utc: datetime,
    end_utc: datetime,
    *,
    include_csp_inflow: bool = False,
) -> pl.DataFrame:
    """5-minute real-time series whose interval starts lie in ``[start_utc, end_utc)``.

    Kinds as :func:`day_ahead_series`; reserves are the real-time products
    (regulation from the real-time files, spinning reserve held flat at the
    hourly value). Area load, PV, rooftop PV, CSP and hydro are derived as
    described in the module docstring.

    Example::

        >>> start, end = trade_day_utc_range(date(2020, 7, 15), "America/Los_Angeles")
        >>> frame = real_time_series(rts_dir, start, end)  # doctest: +SKIP
        >>> frame.filter(kind="area_load", object_id="2").height  # doctest: +SKIP
        288
    """
    return _frame(_real_time_catalog(Path(source_dir), include_csp_inflow), start_utc, end_utc)


def data_coverage_utc(source_dir: Path) -> tuple[datetime, datetime]:
    """UTC ``[start, end)`` covered by every day-ahead and real-time series.

    Example::

        >>> data_coverage_utc(rts_dir)  # doctest: +SKIP
        (datetime.datetime(2020, 1, 1, 8, 0, tzinfo=datetime.timezone.utc), \
datetime.datetime(2021, 1, 1, 8, 0, tzinfo=datetime.timezone.utc))
    """
    catalog = _day_ahead_catalog(Path(source_dir), False) + _real_time_catalog(
        Path(source_dir), False
    )
    start_us = max(s.start_utc_us for s in catalog)
    end_us = min(s.end_utc_us for s in catalog)
    return (
        _EPOCH + timedelta(microseconds=start_us),
        _EPOCH + timedelta(microseconds=end_us),
    )
