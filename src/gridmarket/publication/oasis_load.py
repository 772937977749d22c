"""``SLD_FCST``: the ISO's load forecast per area, in the OASIS layout (rulebook §10).

The figures are the stored area load forecasts the markets run on
(:mod:`gridmarket.markets.forecasts`): the day-ahead forecast (hourly, as the
DAM and RUC use it) and the real-time forecast (5-minute, as RTD uses it, and
its 15-minute averages, as FMM uses them). One row per area, data item and
interval, plus the system total (the sum of the areas) named ``CA ISO-TAC``,
the name clients filter on.

Example::

    rows = load_rows(session, calendar, "RTM", start, end, LoadSelection(execution_type="RTD"))
    rows[0].cells["XML_DATA_ITEM"]  # 'SYS_FCST_5MIN_MW'
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from gridmarket.calendar import MarketCalendar, MarketName
from gridmarket.markets.forecasts import area_load_forecast
from gridmarket.markets.models import ForecastHorizon
from gridmarket.publication.oasis_files import ReportRow, XmlDatum, format_gmt, format_mw

SLD_FCST_COLUMNS = (
    "INTERVALSTARTTIME_GMT", "INTERVALENDTIME_GMT", "LOAD_TYPE", "OPR_DT", "OPR_HR",
    "OPR_INTERVAL", "MARKET_RUN_ID", "TAC_AREA_NAME", "LABEL", "XML_DATA_ITEM", "POS", "MW",
    "EXECUTION_TYPE", "GROUP",
)
SYSTEM_TAC_AREA = "CA ISO-TAC"
"""The system total's name, as OASIS names it (clients select it by this name)."""
POSITION = "0"
"""``POS`` *(assumed: OASIS's own values for DAM and RTM rows were not found)*."""


@dataclass(frozen=True)
class LoadSeries:
    """One forecast OASIS publishes: its market, execution, interval and names."""

    market_run_id: str
    execution_type: str
    horizon: ForecastHorizon
    interval_market: MarketName
    data_item: str
    label: str
    load_type: str
    """``LOAD_TYPE``: seen as the days ahead (0 actual, 2 two days ahead); 1 and 0 are inferred."""


LOAD_SERIES: tuple[LoadSeries, ...] = (
    LoadSeries("DAM", "DAM", ForecastHorizon.DAY_AHEAD, "DAM", "SYS_FCST_DA_MW",
               "Demand Forecast Day Ahead", "1"),
    LoadSeries("RTM", "RTPD", ForecastHorizon.REAL_TIME, "FMM", "SYS_FCST_15MIN_MW",
               "RTM 15Min Load Forecast", "0"),
    LoadSeries("RTM", "RTD", ForecastHorizon.REAL_TIME, "RTD", "SYS_FCST_5MIN_MW",
               "RTM 5Min Load Forecast", "0"),
)
SERIES_BY_ITEM: Mapping[str, LoadSeries] = {s.data_item: s for s in LOAD_SERIES}
EXECUTION_TYPES = frozenset(s.execution_type for s in LOAD_SERIES if s.market_run_id == "RTM")


@dataclass(frozen=True)
class LoadSelection:
    """``tac_area_name=`` (None: every area and the total) and ``execution_type=`` (RTM)."""

    tac_areas: tuple[str, ...] | None = None
    execution_type: str | None = None


def tac_area_name(area: str) -> str:
    """The OASIS name of one of our load areas.

    Example::

        >>> tac_area_name("1")
        'AREA1-TAC'
    """
    return f"AREA{area}-TAC"


def series_for(market_run_id: str, execution_type: str | None) -> list[LoadSeries]:
    """The forecasts a request asks for (RTM without an execution type: 15- and 5-minute)."""
    return [s for s in LOAD_SERIES if s.market_run_id == market_run_id
            and (market_run_id != "RTM" or execution_type in (None, s.execution_type))]


def area_forecasts(session: Session, calendar: MarketCalendar, series: LoadSeries,
                   start: datetime, end: datetime) -> dict[str, dict[datetime, Decimal]]:
    """MW per TAC area name and interval start in ``[start, end)``, the total included."""
    by_area = area_load_forecast(session, calendar, series.horizon, series.interval_market,
                                 start, end)
    out = {tac_area_name(area): forecasts for area, forecasts in by_area.items()}
    totals: dict[datetime, Decimal] = defaultdict(Decimal)
    for forecasts in by_area.values():
        for instant, mw in forecasts.items():
            totals[instant] += mw
    if totals:
        out[SYSTEM_TAC_AREA] = dict(totals)
    return out


def load_rows(session: Session, calendar: MarketCalendar, market_run_id: str,
              start: datetime, end: datetime, selection: LoadSelection) -> list[ReportRow]:
    """Every ``SLD_FCST`` row for ``[start, end)``: area, then data item, then interval.

    ``GROUP`` numbers the blocks of one area, data item and trade date from 1,
    as OASIS files repeat one ``GROUP`` over such a block.
    """
    rows: list[ReportRow] = []
    by_series = {s: area_forecasts(session, calendar, s, start, end)
                 for s in series_for(market_run_id, selection.execution_type)}
    areas = sorted({a for forecasts in by_series.values() for a in forecasts})
    wanted = set(selection.tac_areas) if selection.tac_areas is not None else None
    group = 0
    for area in areas:
        if wanted is not None and area not in wanted:
            continue
        for series, forecasts in by_series.items():
            last_day = None
            for instant, mw in sorted(forecasts.get(area, {}).items()):
                interval = calendar.interval_containing(instant, series.interval_market)
                if interval.trade_date != last_day:
                    group, last_day = group + 1, interval.trade_date
                text = format_mw(mw)
                opr_interval = 0 if series.interval_market == "DAM" else interval.interval_in_hour
                cells = {
                    "INTERVALSTARTTIME_GMT": format_gmt(interval.start_utc),
                    "INTERVALENDTIME_GMT": format_gmt(interval.end_utc),
                    "LOAD_TYPE": series.load_type, "OPR_DT": interval.trade_date.isoformat(),
                    "OPR_HR": str(interval.hour_ending), "OPR_INTERVAL": str(opr_interval),
                    "MARKET_RUN_ID": series.market_run_id, "TAC_AREA_NAME": area,
                    "LABEL": series.label, "XML_DATA_ITEM": series.data_item, "POS": POSITION,
                    "MW": text, "EXECUTION_TYPE": series.execution_type, "GROUP": str(group),
                }
                rows.append(ReportRow(cells, XmlDatum(
                    series.data_item, area, interval.trade_date, interval.index + 1,
                    interval.start_utc, interval.end_utc, text)))
    return rows
