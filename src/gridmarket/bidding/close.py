"""Market close: final validation, generated bids, bid segment fees, trade matching.

At the day-ahead close (``dam_close(T)``) every pending DAM bid is validated
again against the Master File, certifications and the SC's standing of that
moment and becomes Valid, Modified (its clean bid differs) or Invalid. RA
capacity with a must-offer obligation that no clean energy bid covers is then
offered by the ISO at the resource's default energy bid (generated bids), and
the bid segments entering the market are counted for the segment fee. At the
trade deadline, trades still without their counterparty's side become
Unmatched (void). Real-time bids are closed hour by hour the same way
(:func:`close_real_time_hour`); day-ahead bids carry over in real time, so no
bids are generated there.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from gridmarket.bidding import deadlines, storage
from gridmarket.bidding.facts import certified_scids, location_facts, resource_facts
from gridmarket.bidding.intake import release_bid_credit
from gridmarket.bidding.models import (
    PENDING_STATUSES,
    Bid,
    BidSegmentFee,
    BidStatus,
)
from gridmarket.bidding.schema import (
    AncillaryBid,
    BidKind,
    EnergyBid,
    EnergyHour,
    MarketType,
    Segment,
    hours_mask,
    mask_hours,
)
from gridmarket.bidding.validation import Finding, Reason, segment_count, validate_bid
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock, as_utc
from gridmarket.config import MarketParameters
from gridmarket.errors import Conflict
from gridmarket.participants.models import Scid
from gridmarket.resources.models import Resource, ResourceAssignment

BTU_PER_KWH_TO_MMBTU_PER_MWH = Decimal("0.001")


@dataclass
class CloseReport:
    market: MarketType
    trade_date: date
    statuses: dict[str, int] = field(default_factory=dict)
    generated_bids: int = 0
    segments_by_scid: dict[str, int] = field(default_factory=dict)
    unmatched_trades: int = 0


def close_day_ahead(
    session: Session, trade_date: date, *, parameters: MarketParameters, clock: Clock
) -> CloseReport:
    """Close the DAM of ``trade_date``: the bids that enter IFM are clean afterwards.

    Refused before ``dam_close``; closing twice finds nothing pending the second time.

    Example::

        report = close_day_ahead(session, date(2020, 7, 15), parameters=params, clock=clock)
        report.statuses   # {'VALID': 310, 'MODIFIED': 2, 'INVALID': 1}
    """
    calendar = MarketCalendar(parameters)
    now = as_utc(clock.now())
    closes = calendar.dam_close(trade_date)
    if now < closes:
        raise Conflict(f"the DAM for {trade_date} closes at {closes.isoformat()}",
                       field="trade_date")
    report = CloseReport(MarketType.DAM, trade_date)
    pending = _pending(session, MarketType.DAM, trade_date, exclude_trades=True)
    _finalise(session, pending, trade_date, MarketType.DAM, parameters, now, clock, report)
    report.generated_bids = _generate_must_offer(session, trade_date, parameters, now)
    _count_segments(session, MarketType.DAM, trade_date, parameters, now, report)
    if now >= calendar.ist_dam_close(trade_date):
        every_hour = list(range(1, calendar.hours_in_day(trade_date) + 1))
        report.unmatched_trades = close_trades(session, MarketType.DAM, trade_date, every_hour,
                                               now)
    return report


def close_real_time_hour(
    session: Session, trade_date: date, hour: int, *, parameters: MarketParameters, clock: Clock
) -> CloseReport:
    """Close real-time bidding for HE ``hour``: its pending RTM bids become clean or Invalid."""
    calendar = MarketCalendar(parameters)
    now = as_utc(clock.now())
    closes = deadlines.close_of(calendar, MarketType.RTM, BidKind.ENERGY, trade_date, hour)
    if now < closes:
        raise Conflict(f"real-time bids for {trade_date} HE{hour} close at {closes.isoformat()}",
                       field="hour")
    report = CloseReport(MarketType.RTM, trade_date)
    pending = [b for b in _pending(session, MarketType.RTM, trade_date, exclude_trades=True)
               if b.active_hours_mask >> hour & 1]
    _finalise(session, pending, trade_date, MarketType.RTM, parameters, now, clock, report)
    _count_segments(session, MarketType.RTM, trade_date, parameters, now, report)
    trade_close = deadlines.close_of(calendar, MarketType.RTM, BidKind.TRADE, trade_date, hour)
    if now >= trade_close:
        report.unmatched_trades = close_trades(session, MarketType.RTM, trade_date, [hour], now)
    return report


def close_trades(
    session: Session, market: MarketType, trade_date: date, hours: list[int], now: datetime
) -> int:
    """Trades for ``hours`` still without a match become Unmatched; return how many."""
    mask = hours_mask(hours)
    waiting = [b for b in _pending(session, market, trade_date, exclude_trades=False)
               if b.kind == BidKind.TRADE and b.active_hours_mask & mask]
    for bid in waiting:
        storage.set_status(bid, BidStatus.UNMATCHED, now)
        bid.clean_json = None
    for matched in session.scalars(select(Bid).where(
            Bid.market == market, Bid.trade_date == trade_date, Bid.kind == BidKind.TRADE,
            Bid.status == BidStatus.MATCHED, Bid.clean_json.is_(None))):
        storage.set_clean(matched, storage.raw_content(matched))
    return len(waiting)


def _pending(session: Session, market: MarketType, trade_date: date, *, exclude_trades: bool
             ) -> list[Bid]:
    query = (
        select(Bid).options(joinedload(Bid.scid))
        .where(Bid.market == market, Bid.trade_date == trade_date,
               Bid.status.in_(PENDING_STATUSES))
        .order_by(Bid.id).with_for_update(of=Bid)
    )
    if exclude_trades:
        query = query.where(Bid.kind != BidKind.TRADE)
    return list(session.scalars(query).unique())


def _finalise(
    session: Session, bids: list[Bid], trade_date: date, market: MarketType,
    parameters: MarketParameters, now: datetime, clock: Clock, report: CloseReport,
) -> None:
    """Final validation of pending bids at close."""
    contents = {bid.id: storage.restricted(storage.raw_content(bid), bid.active_hours_mask)
                for bid in bids}
    resource_ids = [c.resource for c in contents.values()
                    if isinstance(c, EnergyBid | AncillaryBid)]
    facts = resource_facts(session, resource_ids, trade_date, parameters)
    locations = location_facts(session, with_scids=False)
    active = certified_scids(session)
    for bid in bids:
        content = contents[bid.id]
        outcome = validate_bid(
            content, scid=bid.scid.code, market=market, rules=parameters.bids,
            resource=facts.get(content.resource)
            if isinstance(content, EnergyBid | AncillaryBid) else None,
            locations=locations)
        if bid.scid.code not in active:
            outcome.findings.append(Finding(Reason.SC_NOT_ACTIVE,
                                            f"the SC of {bid.scid.code} may not bid at close"))
            outcome.clean = None
        status = (BidStatus.INVALID if outcome.invalid else
                  BidStatus.MODIFIED if outcome.modified else BidStatus.VALID)
        storage.set_status(bid, status, now)
        storage.set_findings(bid, outcome.findings)
        storage.set_clean(bid, outcome.clean)
        if status == BidStatus.INVALID:
            release_bid_credit(session, bid, bid.scid.code, "invalid at market close", clock)
        report.statuses[status.value] = report.statuses.get(status.value, 0) + 1


def _generate_must_offer(
    session: Session, trade_date: date, parameters: MarketParameters, now: datetime
) -> int:
    """Offer RA capacity no clean DAM energy bid covers, at the default energy bid."""
    calendar = MarketCalendar(parameters)
    day_start = calendar.trade_day_start_utc(trade_date)
    all_hours = hours_mask(list(range(1, calendar.hours_in_day(trade_date) + 1)))
    covered: dict[int, int] = defaultdict(int)
    for resource_pk, mask in session.execute(
        select(Bid.resource_pk, Bid.active_hours_mask).where(
            Bid.market == MarketType.DAM, Bid.trade_date == trade_date,
            Bid.kind == BidKind.ENERGY, Bid.status.in_([BidStatus.VALID, BidStatus.MODIFIED]),
            Bid.resource_pk.is_not(None))
    ):
        if resource_pk is not None:
            covered[resource_pk] |= mask
    obliged = session.execute(
        select(Resource, ResourceAssignment.scid_id)
        .join(ResourceAssignment, ResourceAssignment.resource_pk == Resource.id)
        .options(selectinload(Resource.cost_segments))
        .where(Resource.ra_capacity_mw > 0,
               ResourceAssignment.effective_from_utc <= day_start,
               (ResourceAssignment.effective_to_utc.is_(None))
               | (ResourceAssignment.effective_to_utc > day_start))
        .order_by(Resource.resource_id)
    ).all()
    generated = 0
    for resource, scid_id in obliged:
        missing = all_hours & ~covered[resource.id]
        curve = default_energy_bid(resource, parameters)
        if not missing or not curve:
            continue
        content = EnergyBid(kind=BidKind.ENERGY, resource=resource.resource_id, hours=[
            EnergyHour(hour=hour, segments=curve) for hour in mask_hours(missing)])
        text = content.model_dump_json()
        session.add(Bid(
            submission_id=None, scid_id=scid_id, kind=BidKind.ENERGY, market=MarketType.DAM,
            trade_date=trade_date, location=resource.resource_id, variant="",
            resource_pk=resource.id, hours_mask=missing, active_hours_mask=missing,
            status=BidStatus.VALID, raw_json=text, clean_json=text,
            segment_count=segment_count(content), is_generated=True,
            created_at=now, status_changed_at=now))
        generated += 1
    session.flush()
    return generated


def default_energy_bid(resource: Resource, parameters: MarketParameters) -> list[Segment]:
    """The cost-based curve of a resource's RA capacity: heat rate × fuel price × adder.

    Segments without heat-rate data use the registered price × adder. Breakpoints
    stop at the RA capacity (and never below Pmin).

    Example::

        default_energy_bid(resource, params)   # [Segment(mw=..., price=...), ...]
    """
    adder = parameters.bids.default_energy_bid_adder
    limit = min(resource.p_max_mw, max(resource.ra_capacity_mw, resource.p_min_mw))
    segments: list[Segment] = []
    price_so_far = parameters.bids.price_floor_usd_per_mwh
    for step in resource.cost_segments:
        if step.mw_to <= resource.p_min_mw or (segments and segments[-1].mw >= limit):
            continue
        if step.incremental_heat_rate_btu_per_kwh is not None and \
                resource.fuel_price_usd_per_mmbtu is not None:
            base = (step.incremental_heat_rate_btu_per_kwh * BTU_PER_KWH_TO_MMBTU_PER_MWH
                    * resource.fuel_price_usd_per_mmbtu)
        else:
            base = step.price_usd_per_mwh
        price_so_far = max(price_so_far, (base * adder).quantize(Decimal("0.01")))
        segments.append(Segment(mw=min(step.mw_to, limit), price=price_so_far))
    return segments[: parameters.bids.max_segments]


def _count_segments(
    session: Session, market: MarketType, trade_date: date, parameters: MarketParameters,
    now: datetime, report: CloseReport,
) -> None:
    """Record, per SCID, the bid segments of clean bids entering the market, and their fee."""
    counts: dict[int, int] = defaultdict(int)
    codes: dict[int, str] = {}
    for scid_id, code, segments in session.execute(
        select(Bid.scid_id, Scid.code, Bid.segment_count).join(Scid, Scid.id == Bid.scid_id)
        .where(Bid.market == market, Bid.trade_date == trade_date,
               Bid.status.in_([BidStatus.VALID, BidStatus.MODIFIED]))
    ):
        counts[scid_id] += segments
        codes[scid_id] = code
    fee_rate = parameters.bids.bid_segment_fee_usd
    existing = {fee.scid_id: fee for fee in session.scalars(select(BidSegmentFee).where(
        BidSegmentFee.market == market, BidSegmentFee.trade_date == trade_date))}
    for scid_id, count in counts.items():
        fee = existing.get(scid_id) or BidSegmentFee(scid_id=scid_id, trade_date=trade_date,
                                                     market=market)
        fee.segment_count = count
        fee.fee_usd = fee_rate * count
        fee.counted_at = now
        session.add(fee)
        report.segments_by_scid[codes[scid_id]] = count
    session.flush()
