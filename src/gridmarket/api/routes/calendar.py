"""The market calendar of a trade date: its hours, deadlines and statement dates."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel

from gridmarket.api.deps import ParametersDep
from gridmarket.calendar import MarketCalendar
from gridmarket.dates import IsoDate

router = APIRouter(prefix="/api/v1", tags=["calendar"])


class IntervalOut(BaseModel):
    label: str
    hour_ending: int
    start_utc: datetime
    end_utc: datetime
    start_pt: datetime
    end_pt: datetime


class DeadlineOut(BaseModel):
    name: str
    instant_utc: datetime
    instant_pt: datetime


class StatementDateOut(BaseModel):
    kind: str
    publication_date: date


class TradeDayOut(BaseModel):
    trade_date: date
    hours: int
    start_utc: datetime
    end_utc: datetime
    is_business_day: bool
    intervals: list[IntervalOut]
    deadlines: list[DeadlineOut]
    statements: list[StatementDateOut]


@router.get("/calendar/{trade_date}", response_model=TradeDayOut)
def trade_day(trade_date: IsoDate, parameters: ParametersDep) -> TradeDayOut:
    """Hours (23, 24 or 25), day-ahead and real-time deadlines, and statement dates of T."""
    calendar = MarketCalendar(parameters)
    zone = calendar.timezone
    return TradeDayOut(
        trade_date=trade_date,
        hours=calendar.hours_in_day(trade_date),
        start_utc=calendar.trade_day_start_utc(trade_date),
        end_utc=calendar.trade_day_end_utc(trade_date),
        is_business_day=calendar.is_business_day(trade_date),
        intervals=[
            IntervalOut(
                label=i.label,
                hour_ending=i.hour_ending,
                start_utc=i.start_utc,
                end_utc=i.end_utc,
                start_pt=i.start_pt,
                end_pt=i.end_pt,
            )
            for i in calendar.intervals(trade_date, "DAM")
        ],
        deadlines=[
            DeadlineOut(
                name=d.name, instant_utc=d.instant_utc, instant_pt=d.instant_utc.astimezone(zone)
            )
            for d in calendar.deadlines_for(trade_date)
        ],
        statements=[
            StatementDateOut(kind=s.kind, publication_date=s.publication_date)
            for s in calendar.statement_schedule(trade_date)
        ],
    )
