"""Which bids may be submitted, replaced or cancelled now (rulebook §4 timelines).

Deadlines come from :class:`~gridmarket.calendar.MarketCalendar` and are
compared with the server clock: a bid is on time strictly before its close.
Day-ahead bids for T open ``dam_open(T)`` and close ``dam_close(T)``
(inter-SC trades at ``ist_dam_close(T)``); a real-time bid closes hour by
hour, 75 minutes before each hour it covers starts (trades 45 minutes).
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

from gridmarket.bidding.schema import BidKind, MarketType
from gridmarket.calendar import MarketCalendar
from gridmarket.config import MarketParameters
from gridmarket.errors import Conflict, InvalidInput

_CALENDARS = threading.local()


def calendar_of(parameters: MarketParameters) -> MarketCalendar:
    """The calendar of ``parameters``, built once per parameters object and thread.

    Building a calendar loads the holiday tables (milliseconds); bid intake
    needs one per request. Parameters are immutable, so the calendar of the
    same object never changes; the cache holds the object itself, so its id
    cannot be reused by another while cached. Per thread, because the holiday
    tables fill in years lazily and are not safe to fill from two threads.
    """
    cache: dict[int, tuple[MarketParameters, MarketCalendar]] | None = getattr(
        _CALENDARS, "by_parameters", None)
    if cache is None:
        cache = _CALENDARS.by_parameters = {}
    cached = cache.get(id(parameters))
    if cached is not None and cached[0] is parameters:
        return cached[1]
    calendar = MarketCalendar(parameters)
    if len(cache) >= 8:  # Tests build many parameter sets; keep only a few.
        cache.clear()
    cache[id(parameters)] = (parameters, calendar)
    return calendar


class MarketClosed(Conflict):
    """The bid's market (or hour) has closed, or is not open yet."""


def hour_start_utc(calendar: MarketCalendar, trade_date: date, hour_ending: int) -> datetime:
    """UTC start of HE ``hour_ending`` of ``trade_date`` (hours count elapsed time, DST-safe)."""
    return calendar.trade_day_start_utc(trade_date) + timedelta(hours=hour_ending - 1)


def close_of(
    calendar: MarketCalendar, market: MarketType, kind: BidKind, trade_date: date, hour: int
) -> datetime:
    """When a bid of ``kind`` for ``hour`` of ``trade_date`` closes."""
    if market == MarketType.DAM:
        if kind == BidKind.TRADE:
            return calendar.ist_dam_close(trade_date)
        return calendar.dam_close(trade_date)
    start = hour_start_utc(calendar, trade_date, hour)
    if kind == BidKind.TRADE:
        return calendar.ist_rt_close(start)
    return calendar.rt_bid_close(start)


def require_hours_in_day(calendar: MarketCalendar, trade_date: date, hours: list[int],
                         where: str) -> None:
    """Hours must exist on the trade date (HE25 only on the long day)."""
    last = calendar.hours_in_day(trade_date)
    beyond = [h for h in hours if h > last]
    if beyond:
        raise InvalidInput(
            f"{trade_date} has {last} hours; HE{beyond[0]} does not exist", field=where)


def require_open(
    calendar: MarketCalendar,
    now: datetime,
    market: MarketType,
    kind: BidKind,
    trade_date: date,
    hours: list[int],
    where: str,
) -> None:
    """Raise :class:`MarketClosed` unless every hour of the bid is open at ``now``."""
    opens = calendar.dam_open(trade_date)
    if now < opens:
        raise MarketClosed(f"bids for {trade_date} open at {opens.isoformat()}", field=where)
    closed = [h for h in hours if now >= close_of(calendar, market, kind, trade_date, h)]
    if closed:
        first_close = close_of(calendar, market, kind, trade_date, closed[0])
        raise MarketClosed(
            f"{market} {kind.lower()} bids for {trade_date} HE{closed[0]} closed at "
            f"{first_close.isoformat()}"
            + (f" ({len(closed)} hours closed)" if len(closed) > 1 else ""),
            field=where,
        )
