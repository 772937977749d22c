"""Withdrawing a bid before its market closes (status Cancelled)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.policy import Action
from gridmarket.access.principal import Principal
from gridmarket.bidding import deadlines, storage
from gridmarket.bidding.intake import release_bid_credit, unmatch
from gridmarket.bidding.models import LIVE_STATUSES, Bid, BidStatus
from gridmarket.bidding.schema import mask_hours
from gridmarket.bidding.views import visible_bid
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock, as_utc
from gridmarket.config import MarketParameters
from gridmarket.errors import Conflict


def cancel_bid(
    session: Session, principal: Principal, bid_id: int, *, parameters: MarketParameters,
    clock: Clock,
) -> Bid:
    """Cancel a live bid while every hour it still covers is open.

    Example::

        cancel_bid(session, trader, 42, parameters=parameters, clock=clock).status
        # <BidStatus.CANCELLED: 'CANCELLED'>
    """
    bid = visible_bid(session, principal, bid_id, Action.SUBMIT_BIDS)
    if bid.status not in LIVE_STATUSES:
        raise Conflict(f"bid {bid_id} is {bid.status.lower()}; only a live bid can be cancelled",
                       field="bid_id")
    now = as_utc(clock.now())
    deadlines.require_open(MarketCalendar(parameters), now, bid.market, bid.kind,
                           bid.trade_date, mask_hours(bid.active_hours_mask), f"bid {bid_id}")
    storage.set_status(bid, BidStatus.CANCELLED, now)
    bid.clean_json = None
    release_bid_credit(session, bid, bid.scid.code, "cancelled before market close", clock)
    unmatch(session, bid)
    record_audit(session, actor=principal, action="bid.cancel", object_type="bid",
                 object_id=str(bid.id), clock=clock, details={"scid": bid.scid.code})
    return bid
