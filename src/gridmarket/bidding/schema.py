"""The bid set as an SC submits it: the one shape JSON, CSV and XML all parse into.

Structure is checked here, on receipt (rulebook §4, first validation stage):
a bid set that fails is Rejected as a whole and nothing is stored. Checks of
content against the Master File and the caps come later
(:mod:`gridmarket.bidding.validation`) and give the bid a status instead.

Quantities are MW, prices $/MWh (energy) or $/MW (ancillary services), all
exact decimals. Hours are hour-ending numbers of the trade day (HE1..HE23 on
the spring DST day, HE1..HE25 on the fall day). Energy and virtual curves are
breakpoints: segment *i* covers output from the previous breakpoint (Pmin for
a supply bid, 0 for demand and virtual bids) up to ``mw``.

Example::

    >>> bid_set = BidSet.model_validate({
    ...     "scid": "DTGA", "market": "DAM", "trade_date": "2020-07-15",
    ...     "bids": [{"kind": "ENERGY", "resource": "101_STEAM_3",
    ...               "hours": [{"hour": 1, "segments": [{"mw": 40, "price": 25.5}]}]}]})
    >>> bid_set.bids[0].hours[0].segments[0].price
    Decimal('25.5')
"""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gridmarket.dates import IsoDate

MAX_HOUR = 25
# Sanity limits on receipt; the rulebook limits (e.g. 10 segments) are content checks.
MAX_LISTED_SEGMENTS = 50
MAX_BIDS_PER_SET = 2000

Quantity = Annotated[Decimal, Field(allow_inf_nan=False, max_digits=14, decimal_places=6)]
Price = Annotated[Decimal, Field(allow_inf_nan=False, max_digits=14, decimal_places=6)]
HourEnding = Annotated[int, Field(ge=1, le=MAX_HOUR)]


class MarketType(enum.StrEnum):
    DAM = "DAM"
    RTM = "RTM"


class BidKind(enum.StrEnum):
    ENERGY = "ENERGY"
    ANCILLARY = "ANCILLARY"
    VIRTUAL = "VIRTUAL"
    TRADE = "TRADE"


class SelfScheduleType(enum.StrEnum):
    """Self-schedule types, lowest curtailment priority first (rulebook §4)."""

    LPT = "LPT"
    PT = "PT"
    RMT = "RMT"
    ETC_TOR = "ETC_TOR"
    RMR = "RMR"


class CostBasis(enum.StrEnum):
    """Where start-up and minimum-load costs come from."""

    REGISTERED = "REGISTERED"
    PROXY = "PROXY"


class AncillaryProduct(enum.StrEnum):
    REG_UP = "REG_UP"
    REG_DOWN = "REG_DOWN"
    SPIN = "SPIN"
    NON_SPIN = "NON_SPIN"


class VirtualSide(enum.StrEnum):
    SUPPLY = "SUPPLY"
    """A virtual supply (decremental to the real-time position) bid."""
    DEMAND = "DEMAND"


class TradeProduct(enum.StrEnum):
    ENERGY = "ENERGY"
    REG_UP = "REG_UP"
    REG_DOWN = "REG_DOWN"
    SPIN = "SPIN"
    NON_SPIN = "NON_SPIN"


class TradeDirection(enum.StrEnum):
    SELL = "SELL"
    """The submitting SC sells to the counterparty."""
    BUY = "BUY"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Segment(_Strict):
    mw: Quantity
    """Breakpoint: the segment ends at this output (MW)."""
    price: Price


class EnergyHour(_Strict):
    hour: HourEnding
    segments: Annotated[list[Segment], Field(max_length=MAX_LISTED_SEGMENTS)] = []
    self_schedule_mw: Quantity | None = None
    self_schedule_type: SelfScheduleType | None = None

    @model_validator(mode="after")
    def _something_offered(self) -> EnergyHour:
        if not self.segments and self.self_schedule_mw is None:
            raise ValueError("an hour needs segments, a self-schedule, or both")
        if (self.self_schedule_mw is None) != (self.self_schedule_type is None):
            raise ValueError("self_schedule_mw and self_schedule_type go together")
        return self


class AncillaryOffer(_Strict):
    product: AncillaryProduct
    mw: Quantity
    price: Price


class AncillaryHour(_Strict):
    hour: HourEnding
    offers: Annotated[list[AncillaryOffer], Field(min_length=1, max_length=4)]

    @field_validator("offers")
    @classmethod
    def _one_offer_per_product(cls, offers: list[AncillaryOffer]) -> list[AncillaryOffer]:
        products = [offer.product for offer in offers]
        if len(set(products)) != len(products):
            raise ValueError("each product at most once per hour")
        return offers


class VirtualHour(_Strict):
    hour: HourEnding
    segments: Annotated[list[Segment], Field(min_length=1, max_length=MAX_LISTED_SEGMENTS)]


class TradeHour(_Strict):
    hour: HourEnding
    mw: Quantity


_H = TypeVar("_H", EnergyHour, AncillaryHour, VirtualHour, TradeHour)


def _distinct_hours(hours: list[_H]) -> list[_H]:
    numbers = [h.hour for h in hours]
    repeated = sorted({n for n in numbers if numbers.count(n) > 1})
    if repeated:
        raise ValueError(f"hour(s) {', '.join(f'HE{n}' for n in repeated)} listed twice")
    return sorted(hours, key=lambda h: h.hour)


class EnergyBid(_Strict):
    kind: Literal[BidKind.ENERGY]
    resource: Annotated[str, Field(min_length=1, max_length=64)]
    cost_basis: CostBasis = CostBasis.REGISTERED
    hours: Annotated[list[EnergyHour], Field(min_length=1, max_length=MAX_HOUR)]

    _hours = field_validator("hours")(_distinct_hours)


class AncillaryBid(_Strict):
    kind: Literal[BidKind.ANCILLARY]
    resource: Annotated[str, Field(min_length=1, max_length=64)]
    hours: Annotated[list[AncillaryHour], Field(min_length=1, max_length=MAX_HOUR)]

    _hours = field_validator("hours")(_distinct_hours)


class VirtualBid(_Strict):
    kind: Literal[BidKind.VIRTUAL]
    location: Annotated[str, Field(min_length=1, max_length=64)]
    """A pricing node or an aggregated node."""
    side: VirtualSide
    hours: Annotated[list[VirtualHour], Field(min_length=1, max_length=MAX_HOUR)]

    _hours = field_validator("hours")(_distinct_hours)


class TradeBid(_Strict):
    kind: Literal[BidKind.TRADE]
    counterparty: Annotated[str, Field(min_length=1, max_length=8)]
    """The other SC's SCID."""
    location: Annotated[str, Field(min_length=1, max_length=64)]
    product: TradeProduct
    direction: TradeDirection
    hours: Annotated[list[TradeHour], Field(min_length=1, max_length=MAX_HOUR)]

    _hours = field_validator("hours")(_distinct_hours)


Bid = Annotated[EnergyBid | AncillaryBid | VirtualBid | TradeBid, Field(discriminator="kind")]


class BidSet(_Strict):
    """One submission: bids of one SCID for one market and trade date, all or nothing."""

    scid: Annotated[str, Field(min_length=1, max_length=8)]
    market: MarketType
    trade_date: IsoDate
    bids: Annotated[list[Bid], Field(min_length=1, max_length=MAX_BIDS_PER_SET)]


def bid_location(bid: EnergyBid | AncillaryBid | VirtualBid | TradeBid) -> str:
    """The resource or location a bid is for: what a newer bid replaces it by."""
    return bid.resource if isinstance(bid, EnergyBid | AncillaryBid) else bid.location


def hours_mask(hours: list[int]) -> int:
    """Hours as a bit mask (bit ``h`` for HE\\ ``h``), the unit of replacement.

    Example::

        >>> hours_mask([1, 2, 24])
        16777222
    """
    mask = 0
    for hour in hours:
        mask |= 1 << hour
    return mask


def mask_hours(mask: int) -> list[int]:
    """The hours of a mask, in order.

    Example::

        >>> mask_hours(hours_mask([3, 1]))
        [1, 3]
    """
    return [hour for hour in range(1, MAX_HOUR + 1) if mask >> hour & 1]
