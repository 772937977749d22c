"""After the DAM: cleared virtual bids become cleared positions in credit (rulebook §6).

Each SCID's virtual bids that held credit are replaced by one cleared virtual
position per trade date: the cleared MW (summed over hours, supply and demand
alike) × the location's reference price, held until the trade date's
statement is published. A bid that cleared nothing just frees its credit.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.bidding.models import Bid
from gridmarket.bidding.schema import BidKind, MarketType
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.credit.money import CENT
from gridmarket.credit.reservations import record_cleared_virtual_position, release_credit
from gridmarket.credit.virtual_exposure import virtual_bid_exposure
from gridmarket.markets.run_models import MarketRun, MarketVirtualAward
from gridmarket.participants.models import Scid


def record_virtual_positions(
    session: Session, run: MarketRun, *, parameters: MarketParameters, clock: Clock
) -> dict[str, Decimal]:
    """Turn the run's cleared virtual bids into positions; return each SCID's exposure."""
    cleared_mw: dict[int, Decimal] = defaultdict(Decimal)
    for bid_id, mw in session.execute(
        select(MarketVirtualAward.bid_id, MarketVirtualAward.mw)
        .where(MarketVirtualAward.run_id == run.id)
    ):
        cleared_mw[bid_id] += abs(mw)
    holders = session.execute(
        select(Bid, Scid.code).join(Scid, Scid.id == Bid.scid_id).where(
            Bid.trade_date == run.trade_date, Bid.market == MarketType.DAM,
            Bid.kind == BidKind.VIRTUAL, Bid.credit_reference.is_not(None))
        .order_by(Bid.id)
    ).all()
    as_of = MarketCalendar(parameters).trade_date_of(clock.now())
    by_scid: dict[str, list[Bid]] = defaultdict(list)
    for bid, scid in holders:
        by_scid[scid].append(bid)
    exposures = {}
    for scid, bids in sorted(by_scid.items()):
        exposures[scid] = _position(session, scid, bids, cleared_mw, run.trade_date, as_of,
                                    parameters, clock)
    return exposures


def _position(
    session: Session, scid: str, bids: list[Bid], cleared_mw: dict[int, Decimal],
    trade_date: date, as_of: date, parameters: MarketParameters, clock: Clock,
) -> Decimal:
    cleared = [b for b in bids if cleared_mw[b.id] > 0]
    for bid in bids:
        if bid not in cleared and bid.credit_reference:
            release_credit(session, scid, bid.credit_reference, "cleared nothing in the DAM",
                           clock=clock)
            bid.credit_reference = None
    if not cleared:
        return Decimal(0)
    quotes = [virtual_bid_exposure(session, b.location, cleared_mw[b.id], as_of,
                                   parameters.credit) for b in cleared]
    exposure = sum((q.exposure_usd for q in quotes), Decimal(0)).quantize(CENT)
    record_cleared_virtual_position(
        session, scid, f"POS-{trade_date}-{scid}", exposure, trade_date,
        cleared_bids=[b.credit_reference for b in cleared if b.credit_reference],
        basis="; ".join(q.basis for q in quotes), clock=clock)
    for bid in cleared:
        bid.credit_reference = None
    return exposure
