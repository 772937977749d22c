"""What an SC sees of its bids: each bid, raw next to clean, and lists by SCID and day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from gridmarket.access.errors import NotVisible
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.bidding import storage
from gridmarket.bidding.models import Bid, BidStatus
from gridmarket.bidding.schema import MarketType, mask_hours
from gridmarket.participants.models import Scid


@dataclass(frozen=True)
class BidView:
    bid_id: int
    submission_id: int | None
    scid: str
    kind: str
    market: str
    trade_date: date
    location: str
    hours: list[int]
    active_hours: list[int]
    status: str
    reasons: list[dict[str, Any]]
    raw: dict[str, Any]
    clean: dict[str, Any] | None
    is_generated: bool
    matched_bid_id: int | None
    created_at: datetime
    status_changed_at: datetime


def visible_bid(session: Session, principal: Principal, bid_id: int, action: Action) -> Bid:
    """Bid ``bid_id`` if ``principal`` may ``action`` it; another SC's bid is NotVisible (404)."""
    bid = session.scalars(
        select(Bid).options(joinedload(Bid.scid)).where(Bid.id == bid_id)
    ).one_or_none()
    if bid is None:
        raise NotVisible(f"no bid {bid_id}", actor=principal, action=action.value,
                         object_type="bid", object_id=str(bid_id))
    authorize(principal, action, scid=bid.scid.code)
    return bid


def bid_view(bid: Bid) -> BidView:
    return BidView(
        bid_id=bid.id, submission_id=bid.submission_id, scid=bid.scid.code,
        kind=bid.kind.value, market=bid.market.value, trade_date=bid.trade_date,
        location=bid.location, hours=mask_hours(bid.hours_mask),
        active_hours=mask_hours(bid.active_hours_mask), status=bid.status.value,
        reasons=storage.findings_of(bid), raw=storage.raw_content(bid).model_dump(mode="json"),
        clean=(clean.model_dump(mode="json") if (clean := storage.clean_content(bid)) else None),
        is_generated=bid.is_generated, matched_bid_id=bid.matched_bid_id,
        created_at=bid.created_at, status_changed_at=bid.status_changed_at,
    )


def get_bid(session: Session, principal: Principal, bid_id: int) -> BidView:
    return bid_view(visible_bid(session, principal, bid_id, Action.VIEW_BIDS))


def list_bids(
    session: Session,
    principal: Principal,
    scid: str,
    trade_date: date,
    *,
    market: MarketType | None = None,
    status: BidStatus | None = None,
    limit: int = 1000,
) -> list[BidView]:
    """Bids of ``scid`` for ``trade_date`` (the caller must be granted the SCID)."""
    authorize(principal, Action.VIEW_BIDS, scid=scid)
    query = (
        select(Bid).join(Scid, Scid.id == Bid.scid_id).options(joinedload(Bid.scid))
        .where(Scid.code == scid, Bid.trade_date == trade_date)
        .order_by(Bid.id).limit(limit)
    )
    if market is not None:
        query = query.where(Bid.market == market)
    if status is not None:
        query = query.where(Bid.status == status)
    return [bid_view(bid) for bid in session.scalars(query)]
