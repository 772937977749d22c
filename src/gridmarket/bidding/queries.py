"""Reads of bids: what enters a market run, and what an SC may see of its own bids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.bidding.models import CLEAN_STATUSES, Bid, BidStatus
from gridmarket.bidding.schema import (
    AncillaryBid,
    BidKind,
    EnergyBid,
    MarketType,
    TradeBid,
    VirtualBid,
)
from gridmarket.bidding.schema import Bid as BidContent
from gridmarket.participants.models import Scid

BID_CONTENT: TypeAdapter[EnergyBid | AncillaryBid | VirtualBid | TradeBid] = TypeAdapter(
    BidContent
)


@dataclass(frozen=True)
class MarketBid:
    """A clean bid as it enters a market run: only the hours still in force."""

    bid_id: int
    scid: str
    kind: BidKind
    location: str
    """Resource ID (energy, AS) or pricing/aggregated node (virtual, trade)."""
    content: EnergyBid | AncillaryBid | VirtualBid | TradeBid
    is_generated: bool


def market_bids(session: Session, market: MarketType, trade_date: date) -> list[MarketBid]:
    """The clean bids (Valid, Modified; Matched trades) of a closed market, in bid order.

    Example::

        for bid in market_bids(session, MarketType.DAM, date(2020, 7, 15)):
            if isinstance(bid.content, EnergyBid): ...
    """
    rows = session.execute(
        select(Bid, Scid.code)
        .join(Scid, Scid.id == Bid.scid_id)
        .where(
            Bid.trade_date == trade_date,
            Bid.market == market,
            Bid.status.in_([*CLEAN_STATUSES, BidStatus.MATCHED]),
            Bid.clean_json.is_not(None),
        )
        .order_by(Bid.id)
    ).all()
    return [
        MarketBid(
            bid_id=bid.id,
            scid=code,
            kind=bid.kind,
            location=bid.location,
            content=BID_CONTENT.validate_json(bid.clean_json or ""),
            is_generated=bid.is_generated,
        )
        for bid, code in rows
    ]
