"""What real-time dispatch says each resource produced or consumed, per 5-minute interval.

The ISO's collection, its estimates and the demo's SC meter data start from
the published RTD run of the trade date:

* **Units** (generators, storage): the RTD ``expected_energy_mwh`` of each
  dispatch instruction (storage charging is negative).
* **Loads** take no dispatch instruction: in real time the demand is the
  ISO's area load forecast. A load's consumption in an interval is the RTD
  net generation of the interval (the sum of every unit's expected energy:
  the load served plus losses) times the load's **share**: its area's stored
  real-time ``AREA_LOAD`` forecast over the sum of the forecasts of all load
  areas, or — when no forecast is stored for the interval — its Master File
  Pmax over the sum of the loads' Pmax *(assumed fallback)*.

Example::

    energy = rtd_energy(session, date(2020, 7, 15))
    energy.units["101_STEAM_3"][start]  # (Decimal('6.25'), 'DTGN')
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from gridmarket.calendar import MarketCalendar
from gridmarket.errors import Conflict
from gridmarket.markets.models import ForecastHorizon, ForecastKind, ForecastValue
from gridmarket.markets.run_models import DispatchInstruction, MarketKind, MarketRun
from gridmarket.markets.runs import published_run
from gridmarket.metering.split import QUANTUM
from gridmarket.resources.models import Resource, ResourceType

RTD_MINUTES = 5


@dataclass
class RtdEnergy:
    """Per resource and 5-minute interval start: MWh (units with the SCID of the instruction)."""

    run: MarketRun
    units: dict[str, dict[datetime, tuple[Decimal, str | None]]] = field(default_factory=dict)
    loads: dict[str, dict[datetime, Decimal]] = field(default_factory=dict)


def require_rtd_run(session: Session, trade_date: date) -> MarketRun:
    """The published RTD run of ``trade_date``; Conflict if there is none."""
    run = published_run(session, trade_date, MarketKind.RTD)
    if run is None:
        raise Conflict(f"no published RTD run for {trade_date}", field="trade_date")
    return run


def rtd_energy(session: Session, trade_date: date, calendar: MarketCalendar) -> RtdEnergy:
    """Unit and load energy of the published RTD run of ``trade_date`` (see the module doc)."""
    run = require_rtd_run(session, trade_date)
    energy = RtdEnergy(run)
    totals: dict[datetime, Decimal] = defaultdict(Decimal)
    rows = session.execute(
        select(DispatchInstruction.resource_id, DispatchInstruction.scid,
               DispatchInstruction.interval_start_utc, DispatchInstruction.expected_energy_mwh)
        .where(DispatchInstruction.run_id == run.id,
               DispatchInstruction.interval_minutes == RTD_MINUTES)
    )
    for resource_id, scid, start, mwh in rows:
        energy.units.setdefault(resource_id, {})[start] = (mwh, scid)
        totals[start] += mwh
    loads = list(session.scalars(
        select(Resource).options(joinedload(Resource.aggregated_node))
        .where(Resource.resource_type == ResourceType.LOAD).order_by(Resource.resource_id)
    ))
    forecasts = _area_forecasts(session, trade_date, calendar)
    pmax_total = sum((r.p_max_mw for r in loads), Decimal(0))
    for start, total in totals.items():
        shares = _shares(loads, forecasts.get(start, {}), pmax_total)
        for load in loads:
            value = (max(total, Decimal(0)) * shares[load.resource_id]).quantize(QUANTUM)
            energy.loads.setdefault(load.resource_id, {})[start] = value
    return energy


def _area_forecasts(
    session: Session, trade_date: date, calendar: MarketCalendar
) -> dict[datetime, dict[str, float]]:
    rows = session.execute(
        select(ForecastValue.interval_start_utc, ForecastValue.object_id, ForecastValue.value_mw)
        .where(
            ForecastValue.horizon == ForecastHorizon.REAL_TIME,
            ForecastValue.kind == ForecastKind.AREA_LOAD,
            ForecastValue.interval_start_utc >= calendar.trade_day_start_utc(trade_date),
            ForecastValue.interval_start_utc < calendar.trade_day_end_utc(trade_date),
        )
    )
    out: dict[datetime, dict[str, float]] = defaultdict(dict)
    for start, area, mw in rows:
        out[start][area] = mw
    return out


def _shares(
    loads: list[Resource], by_area: dict[str, float], pmax_total: Decimal
) -> dict[str, Decimal]:
    weights: dict[str, Decimal] = {}
    for load in loads:
        area = load.aggregated_node.area if load.aggregated_node is not None else None
        forecast = by_area.get(str(area)) if area is not None else None
        if forecast is None:
            break
        weights[load.resource_id] = Decimal(repr(max(forecast, 0.0)))
    else:
        total = sum(weights.values(), Decimal(0))
        if total > 0:
            return {r: w / total for r, w in weights.items()}
    if pmax_total <= 0:
        return {load.resource_id: Decimal(0) for load in loads}
    return {load.resource_id: load.p_max_mw / pmax_total for load in loads}
