"""Hourly day-ahead and real-time prices at a location, for credit's reference prices.

The provider registered with :mod:`gridmarket.credit.reference_prices` pairs,
for every hour of the trade dates asked for, the published DAM LMP with the
real-time price of the same hour: the average of that hour's RTD interval
LMPs (or the FMM's when no RTD run is published). Hours missing either price
are left out.

Example::

    ensure_price_history_provider()
    hourly_price_pairs(session, "DLAP_AREA1-APND", date(2020, 7, 1), date(2020, 7, 14))
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from contextlib import suppress
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.credit.reference_prices import PricePair, register_price_history_provider
from gridmarket.markets.run_models import MarketKind, MarketPrice, MarketRun, RunStatus

HOURLY_PLACES = Decimal("0.000001")


def _published(session: Session, market: MarketKind, first: date,
               last: date) -> dict[date, int]:
    runs = session.execute(select(MarketRun.trade_date, MarketRun.id).where(
        MarketRun.market == market, MarketRun.status == RunStatus.COMPLETED,
        MarketRun.replay_of_id.is_(None), MarketRun.trade_date >= first,
        MarketRun.trade_date <= last).order_by(MarketRun.id)).all()
    return {day: run_id for day, run_id in runs}  # the latest completed run of each day


def hourly_price_pairs(session: Session, location: str, first_trade_date: date,
                       last_trade_date: date) -> Sequence[PricePair]:
    """(DA LMP, RT hourly average LMP) per hour at ``location``, dates inclusive."""
    dam = _published(session, MarketKind.DAM, first_trade_date, last_trade_date)
    real_time = _published(session, MarketKind.FMM, first_trade_date, last_trade_date)
    real_time.update(_published(session, MarketKind.RTD, first_trade_date, last_trade_date))
    if not dam or not real_time:
        return []
    day_ahead = {
        instant: lmp for instant, lmp in session.execute(
            select(MarketPrice.interval_start_utc, MarketPrice.lmp_usd_per_mwh).where(
                MarketPrice.run_id.in_(list(dam.values())), MarketPrice.node == location))
    }
    sums: dict[datetime, list[Decimal]] = defaultdict(list)
    for instant, lmp in session.execute(
            select(MarketPrice.interval_start_utc, MarketPrice.lmp_usd_per_mwh).where(
                MarketPrice.run_id.in_(list(real_time.values())), MarketPrice.node == location)):
        sums[instant.replace(minute=0, second=0, microsecond=0)].append(lmp)
    pairs = []
    for hour, lmp in sorted(day_ahead.items()):
        values = sums.get(hour)
        if values:
            average = (sum(values, Decimal(0)) / len(values)).quantize(HOURLY_PLACES)
            pairs.append(PricePair(hour, lmp, average))
    return pairs


def ensure_price_history_provider() -> None:
    """Register :func:`hourly_price_pairs` unless another provider is registered already."""
    # Another provider (e.g. a test's) may be in place already; it stays.
    with suppress(ValueError):
        register_price_history_provider(hourly_price_pairs)
