"""Forecasts the markets run on: area load, variable resource output, reserve requirements.

Day-ahead forecasts are hourly; real-time forecasts are 5-minute. Both are
stored per network model and trade day, keyed by interval start in UTC.
Loading a trade day again replaces nothing and duplicates nothing: days
already stored are skipped.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from gridmarket.calendar import MarketCalendar, MarketName
from gridmarket.markets.models import ForecastHorizon, ForecastKind, ForecastValue
from gridmarket.network.models import NetworkModel
from gridmarket.network.rts_gmlc_timeseries import day_ahead_series, real_time_series

KIND_BY_SERIES = {
    "area_load": ForecastKind.AREA_LOAD,
    "resource_pmax": ForecastKind.RESOURCE_PMAX,
    "reserve_requirement": ForecastKind.RESERVE_REQUIREMENT,
}
INSERT_BATCH_ROWS = 20_000
_MARGIN = timedelta(hours=1)
"""Forecasts read around a window, so an interval's mean never misses a value at its edge."""


@dataclass(frozen=True)
class ForecastLoadSummary:
    trade_date: date
    day_ahead_values: int
    real_time_values: int
    already_loaded: bool


def trade_days(first: date, last: date) -> list[date]:
    """Every trade date from ``first`` to ``last`` inclusive."""
    if last < first:
        raise ValueError(f"last trade date {last} is before the first {first}")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def load_rts_gmlc_forecasts(
    session: Session,
    model: NetworkModel,
    source_dir: Path,
    trade_date: date,
    calendar: MarketCalendar,
) -> ForecastLoadSummary:
    """Store the day-ahead and real-time forecasts of one trade day from RTS-GMLC.

    Example::

        summary = load_rts_gmlc_forecasts(session, model, rts_dir, date(2020, 7, 15), calendar)
        assert summary.day_ahead_values > 0
    """
    start = calendar.trade_day_start_utc(trade_date)
    end = calendar.trade_day_end_utc(trade_date)
    if _stored_count(session, model, start, end) > 0:
        return ForecastLoadSummary(trade_date, 0, 0, already_loaded=True)
    day_ahead = day_ahead_series(source_dir, start, end)
    real_time = real_time_series(source_dir, start, end)
    _insert(session, model, ForecastHorizon.DAY_AHEAD, day_ahead)
    _insert(session, model, ForecastHorizon.REAL_TIME, real_time)
    return ForecastLoadSummary(trade_date, day_ahead.height, real_time.height, already_loaded=False)


def _stored_count(session: Session, model: NetworkModel, start: datetime, end: datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(ForecastValue)
            .where(
                ForecastValue.network_model_id == model.id,
                ForecastValue.interval_start_utc >= start,
                ForecastValue.interval_start_utc < end,
            )
        )
        or 0
    )


def _insert(
    session: Session, model: NetworkModel, horizon: ForecastHorizon, series: pl.DataFrame
) -> None:
    rows = [
        {
            "network_model_id": model.id,
            "horizon": horizon,
            "kind": KIND_BY_SERIES[kind],
            "object_id": object_id,
            "interval_start_utc": start,
            "interval_minutes": minutes,
            "value_mw": value,
        }
        for start, minutes, kind, object_id, value in series.select(
            "interval_start_utc", "interval_minutes", "kind", "object_id", "value_mw"
        ).iter_rows()
    ]
    for offset in range(0, len(rows), INSERT_BATCH_ROWS):
        session.execute(insert(ForecastValue), rows[offset : offset + INSERT_BATCH_ROWS])


def forecast_frame(
    session: Session,
    model: NetworkModel,
    horizon: ForecastHorizon,
    start: datetime,
    end: datetime,
    kind: ForecastKind | None = None,
) -> pl.DataFrame:
    """Stored forecasts of ``horizon`` from ``start`` (inclusive) to ``end`` (exclusive).

    ``kind`` keeps one kind of forecast (None: every kind).
    """
    query = (
        select(
            ForecastValue.interval_start_utc,
            ForecastValue.interval_minutes,
            ForecastValue.kind,
            ForecastValue.object_id,
            ForecastValue.value_mw,
        )
        .where(
            ForecastValue.network_model_id == model.id,
            ForecastValue.horizon == horizon,
            ForecastValue.interval_start_utc >= start,
            ForecastValue.interval_start_utc < end,
        )
        .order_by(ForecastValue.interval_start_utc, ForecastValue.kind, ForecastValue.object_id)
    )
    if kind is not None:
        query = query.where(ForecastValue.kind == kind)
    rows = session.execute(query).all()
    return pl.DataFrame(
        [(r[0], r[1], r[2].value, r[3], r[4]) for r in rows],
        schema={
            "interval_start_utc": pl.Datetime("us", "UTC"),
            "interval_minutes": pl.Int64,
            "kind": pl.Utf8,
            "object_id": pl.Utf8,
            "value_mw": pl.Float64,
        },
        orient="row",
    )


def area_load_forecast(session: Session, calendar: MarketCalendar, horizon: ForecastHorizon,
                       interval_market: MarketName, start: datetime, end: datetime
                       ) -> dict[str, dict[datetime, Decimal]]:
    """Each area's load forecast (MW) per ``interval_market`` interval starting in ``[start, end)``.

    The value of an interval is the mean of the stored values within it, as
    the market runs read them (FMM averages three 5-minute values; an hourly
    mean of the real-time forecast compares it with the day-ahead one). Areas
    are keyed by their number (``"1"``); the first network model's forecasts
    are read, as the markets do.

    Example::

        hourly = area_load_forecast(session, calendar, ForecastHorizon.DAY_AHEAD, "DAM",
                                    start, end)
        hourly["1"][start]  # Decimal('1085.6')
    """
    model = session.scalars(select(NetworkModel).order_by(NetworkModel.id)).first()
    if model is None:
        return {}
    frame = forecast_frame(session, model, horizon, start - _MARGIN, end + _MARGIN,
                           ForecastKind.AREA_LOAD)
    values: dict[tuple[str, datetime], list[float]] = defaultdict(list)
    for instant, area, value in frame.select(
            "interval_start_utc", "object_id", "value_mw").iter_rows():
        interval = calendar.interval_containing(instant, interval_market)
        if start <= interval.start_utc < end:
            values[(area, interval.start_utc)].append(value)
    out: dict[str, dict[datetime, Decimal]] = defaultdict(dict)
    for (area, instant), mws in values.items():
        out[area][instant] = Decimal(repr(sum(mws) / len(mws)))
    return dict(out)
