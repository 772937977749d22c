"""Settle a trade date from the database: published runs, Master File, bids, meter data.

Example::

    run = run_settlement(session, date(2020, 7, 15), parameters=params, clock=clock)
"""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlalchemy.orm import Session

from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.markets.run_models import MarketKind
from gridmarket.markets.runs import published_run
from gridmarket.settlement.engine import MissingMeterPolicy
from gridmarket.settlement.inputs import load_inputs, settlement_meter_frame
from gridmarket.settlement.models import SettlementRun
from gridmarket.settlement.statements import settle_trade_date


def run_settlement(session: Session, trade_date: date, *, parameters: MarketParameters,
                   clock: Clock, kind: str | None = None, meter: pl.DataFrame | None = None,
                   missing_meter: MissingMeterPolicy = "refuse",
                   requested_by_person_id: int | None = None) -> SettlementRun:
    """Settle ``trade_date`` and store the next (or the named) statement version.

    Meter values come from the metering area unless ``meter`` is given; with
    none at all the run is refused (:class:`MeterDataUnavailable`), never zero.
    """
    calendar = MarketCalendar(parameters)
    frame = meter if meter is not None else settlement_meter_frame(session, trade_date)
    inputs = load_inputs(session, trade_date, frame, calendar=calendar)
    run_ids = {kind_.value: run.id for kind_ in (MarketKind.DAM, MarketKind.FMM, MarketKind.RTD)
               if (run := published_run(session, trade_date, kind_)) is not None}
    return settle_trade_date(session, inputs, trade_date=trade_date, parameters=parameters,
                             clock=clock, kind=kind, missing_meter=missing_meter,
                             requested_by_person_id=requested_by_person_id,
                             market_run_ids=run_ids)
