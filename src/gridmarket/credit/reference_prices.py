"""The reference price of a location for virtual bid credit checks (rulebook §6).

Reference price = the 95th percentile of |DA − RT| price differences at the
location over the 30 trade days before the as-of date; $50/MWh when there is
no history. The percentile is taken by the nearest-rank method *(assumed)*:
sort the n absolute differences ascending and take the ⌈0.95 × n⌉-th, so
the reference price is always a difference that actually occurred.

Prices are not the credit area's: the area that stores market prices
registers a *price-history provider* returning the (DA, RT) price pairs of a
location over a range of trade dates, one pair per hour (the DA hourly LMP
and the RT price of the same hour). Until one is registered every location
has no history and gets the default.

Example::

    @register_price_history_provider
    def hourly_prices(session, location, first_day, last_day):
        return [PricePair(row.interval_start_utc, row.da_lmp, row.rt_lmp) for row in ...]

    reference_price(session, "DLAP_AREA1-APND", date(2020, 7, 15)).price_usd_per_mwh
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from sqlalchemy.orm import Session

from gridmarket.config import CreditRules, get_settings

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class PricePair:
    """The day-ahead and real-time price of one hour at one location, $/MWh."""

    interval_start_utc: datetime
    day_ahead_usd_per_mwh: Decimal
    real_time_usd_per_mwh: Decimal

    @property
    def absolute_difference(self) -> Decimal:
        return abs(self.day_ahead_usd_per_mwh - self.real_time_usd_per_mwh)


PriceHistoryProvider = Callable[[Session, str, date, date], Sequence[PricePair]]
"""``provider(session, location, first_trade_date, last_trade_date) -> pairs``, dates inclusive."""

_PROVIDERS: list[PriceHistoryProvider] = []


def register_price_history_provider(provider: PriceHistoryProvider) -> PriceHistoryProvider:
    """Make ``provider`` the source of price history (usable as a decorator); only one at a time.

    Example::

        register_price_history_provider(hourly_da_rt_prices)
    """
    if _PROVIDERS and _PROVIDERS[0] is not provider:
        raise ValueError("a price-history provider is already registered")
    _PROVIDERS[:] = [provider]
    return provider


def unregister_price_history_provider() -> None:
    """Forget the price-history provider (every location then gets the default price)."""
    _PROVIDERS.clear()


@dataclass(frozen=True)
class ReferencePrice:
    """A location's reference price and how it was found."""

    location: str
    as_of: date
    price_usd_per_mwh: Decimal
    sample_size: int
    first_trade_date: date
    last_trade_date: date
    method: str


def nearest_rank_percentile(values: Sequence[Decimal], percentile: Decimal) -> Decimal:
    """The value at rank ⌈p/100 × n⌉ of ``values`` sorted ascending (n ≥ 1).

    Example::

        >>> nearest_rank_percentile([Decimal(v) for v in range(1, 21)], Decimal(95))
        Decimal('19')
    """
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = int((percentile * len(ordered) / HUNDRED).to_integral_value(rounding=ROUND_CEILING))
    return ordered[max(rank, 1) - 1]


def reference_price(
    session: Session, location: str, as_of: date, rules: CreditRules | None = None
) -> ReferencePrice:
    """The reference price at ``location`` for a virtual bid checked on ``as_of``.

    ``rules`` default to the process's market parameters.

    Example::

        reference_price(session, "DLAP_AREA1-APND", date(2020, 7, 15))
        # ReferencePrice(price_usd_per_mwh=Decimal('50'), sample_size=0, method='default ...')
    """
    rules = rules or get_settings().market_parameters().credit
    last = as_of - timedelta(days=1)
    first = as_of - timedelta(days=rules.reference_price_lookback_days)
    pairs: Sequence[PricePair] = _PROVIDERS[0](session, location, first, last) if _PROVIDERS else ()
    if not pairs:
        default = rules.default_reference_price_usd_per_mwh
        return ReferencePrice(
            location,
            as_of,
            default,
            0,
            first,
            last,
            f"default ${default}/MWh: no DA/RT price history from {first} to {last}",
        )
    percentile = rules.reference_price_percentile
    price = nearest_rank_percentile([p.absolute_difference for p in pairs], percentile)
    return ReferencePrice(
        location,
        as_of,
        price,
        len(pairs),
        first,
        last,
        f"{percentile}th percentile (nearest rank) of {len(pairs)} hourly |DA − RT| "
        f"differences from {first} to {last}",
    )
