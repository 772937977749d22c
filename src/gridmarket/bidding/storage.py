"""Stored bids: the replacement key, active hours, clean content and status changes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from gridmarket.bidding.models import LIVE_STATUSES, Bid, BidStatus
from gridmarket.bidding.queries import BID_CONTENT
from gridmarket.bidding.schema import (
    AncillaryBid,
    EnergyBid,
    TradeBid,
    TradeDirection,
    VirtualBid,
    hours_mask,
)
from gridmarket.bidding.validation import AnyBid, Finding
from gridmarket.db.base import Base

OPPOSITE = {TradeDirection.SELL: TradeDirection.BUY, TradeDirection.BUY: TradeDirection.SELL}


def variant_of(bid: AnyBid) -> str:
    """What besides kind and location tells two bids apart (they never replace each other)."""
    if isinstance(bid, VirtualBid):
        return bid.side.value
    if isinstance(bid, TradeBid):
        return trade_variant(bid.product.value, bid.direction, bid.counterparty)
    return ""


def trade_variant(product: str, direction: TradeDirection, counterparty: str) -> str:
    return f"{product}/{direction.value}/{counterparty}"


def content_mask(bid: AnyBid) -> int:
    return hours_mask([h.hour for h in bid.hours])


def restricted(content: AnyBid, mask: int) -> AnyBid:
    """``content`` with only the hours in ``mask``."""
    hours = [h for h in content.hours if mask >> h.hour & 1]
    if isinstance(content, EnergyBid | AncillaryBid | VirtualBid | TradeBid):
        return content.model_copy(update={"hours": hours})
    raise TypeError(type(content))


def raw_content(bid: Bid) -> AnyBid:
    return BID_CONTENT.validate_json(bid.raw_json)


def clean_content(bid: Bid) -> AnyBid | None:
    return BID_CONTENT.validate_json(bid.clean_json) if bid.clean_json else None


def set_status(bid: Bid, status: BidStatus, now: datetime) -> None:
    bid.status = status
    bid.status_changed_at = now


def set_findings(bid: Bid, findings: list[Finding]) -> None:
    bid.reasons_json = json.dumps([f.as_dict() for f in findings])


def findings_of(bid: Bid) -> list[dict[str, object]]:
    loaded: list[dict[str, object]] = json.loads(bid.reasons_json or "[]")
    return loaded


def set_clean(bid: Bid, clean: AnyBid | None) -> None:
    bid.clean_json = (
        restricted(clean, bid.active_hours_mask).model_dump_json() if clean is not None else None
    )


def live_rivals(session: Session, bid: Bid) -> list[Bid]:
    """Older live bids with the same replacement key whose hours overlap ``bid``'s."""
    candidates = session.scalars(_LIVE_RIVALS, {
        "scid_id": bid.scid_id, "trade_date": bid.trade_date, "market": bid.market,
        "kind": bid.kind, "location": bid.location, "variant": bid.variant, "bid_id": bid.id,
    })
    return [older for older in candidates if older.active_hours_mask & bid.hours_mask]


# Built once (one per submitted bid otherwise): the same key, live, locked.
_LIVE_RIVALS = select(Bid).where(
    Bid.scid_id == bindparam("scid_id"),
    Bid.trade_date == bindparam("trade_date"),
    Bid.market == bindparam("market"),
    Bid.kind == bindparam("kind"),
    Bid.location == bindparam("location"),
    Bid.variant == bindparam("variant"),
    Bid.status.in_(LIVE_STATUSES),
    Bid.id != bindparam("bid_id"),
).with_for_update()


def row_of(instance: Base) -> dict[str, Any]:
    """The column values set on a new, unsaved ``instance``, for a Core ``INSERT``.

    Columns left unset take their Python-side defaults, as the unit of work
    would give them.
    """
    values: dict[str, Any] = {}
    for column in instance.__table__.columns:
        value = instance.__dict__.get(column.key)
        if value is None and column.default is not None and column.default.is_scalar:
            value = column.default.arg
            setattr(instance, column.key, value)
        if value is not None:
            values[column.key] = value
    return values
