"""Test helpers for market runs: SCs with SCIDs, clean bids inserted directly, run fixtures.

Until the bid intake of the bidding area is used end to end, tests insert
``Bid`` rows in status VALID with their clean content, as the close step
would leave them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gridmarket.access.models import Organisation, OrganisationKind
from gridmarket.bidding.models import Bid, BidStatus
from gridmarket.bidding.schema import (
    AncillaryBid,
    AncillaryHour,
    AncillaryOffer,
    AncillaryProduct,
    BidKind,
    EnergyBid,
    EnergyHour,
    MarketType,
    Segment,
    SelfScheduleType,
    VirtualBid,
    VirtualHour,
    VirtualSide,
    hours_mask,
)
from gridmarket.participants.models import SchedulingCoordinator, Scid, ScStatus
from gridmarket.resources.models import Resource, ResourceAssignment

TRADE_DATE = date(2020, 7, 15)
BID_TIME = datetime(2020, 7, 14, 16, tzinfo=UTC)
ASSIGNED_SINCE = datetime(2020, 1, 1, 8, tzinfo=UTC)
# A small fleet that can serve the small loads bid below (fast to clear).
SMALL_FLEET = ("101_STEAM_3", "101_CT_1", "102_STEAM_3", "102_CT_1", "201_STEAM_3",
               "202_STEAM_3", "301_CT_1", "302_CT_1", "123_STEAM_2", "122_WIND_1")
SMALL_LOAD_MW = {"LOAD_AREA1": Decimal("120"), "LOAD_AREA2": Decimal("110"),
                 "LOAD_AREA3": Decimal("90")}


@dataclass
class Coordinator:
    organisation: Organisation
    coordinator: SchedulingCoordinator
    scid: Scid


def coordinator(session: Session) -> Coordinator:
    organisation = Organisation(name=f"SC {uuid4().hex[:10]}", kind=OrganisationKind.SC)
    sc = SchedulingCoordinator(organisation=organisation, legal_name=organisation.name,
                               status=ScStatus.CERTIFIED, certified_on=date(2020, 6, 1))
    scid = Scid(code=f"T{uuid4().hex[:6].upper()}", scheduling_coordinator=sc,
                granted_on=date(2020, 6, 1))
    session.add_all([organisation, sc, scid])
    session.flush()
    return Coordinator(organisation, sc, scid)


def resources(session: Session, ids: tuple[str, ...] | list[str]) -> list[Resource]:
    rows = session.scalars(select(Resource).options(selectinload(Resource.cost_segments))
                           .where(Resource.resource_id.in_(list(ids)))).all()
    by_id = {r.resource_id: r for r in rows}
    return [by_id[i] for i in ids]


def assign_all(session: Session, owned: list[Resource], scid: Scid) -> None:
    for resource in owned:
        open_ = session.scalar(select(ResourceAssignment).where(
            ResourceAssignment.resource_pk == resource.id,
            ResourceAssignment.effective_to_utc.is_(None)))
        if open_ is not None:
            open_.effective_to_utc = ASSIGNED_SINCE
            session.flush()
        session.add(ResourceAssignment(resource_pk=resource.id, scid_id=scid.id,
                                       effective_from_utc=ASSIGNED_SINCE))
    session.flush()


def insert_bid(session: Session, scid: Scid, content: EnergyBid | AncillaryBid | VirtualBid,
               market: MarketType = MarketType.DAM, trade_date: date = TRADE_DATE) -> Bid:
    """A clean (VALID) bid row, as the close step leaves it."""
    location = content.location if isinstance(content, VirtualBid) else content.resource
    mask = hours_mask([h.hour for h in content.hours])
    bid = Bid(scid_id=scid.id, kind=BidKind(content.kind), market=market, trade_date=trade_date,
              location=location, variant=getattr(content, "side", "") or "",
              hours_mask=mask, active_hours_mask=mask, status=BidStatus.VALID,
              raw_json=content.model_dump_json(), clean_json=content.model_dump_json(),
              segment_count=sum(len(getattr(h, "segments", [])) for h in content.hours),
              created_at=BID_TIME, status_changed_at=BID_TIME)
    session.add(bid)
    session.flush()
    return bid


def cost_bid(resource: Resource, hours: range) -> EnergyBid:
    """An energy bid at the resource's registered cost curve (Pmax at VOM for renewables)."""
    segments = [Segment(mw=s.mw_to, price=s.price_usd_per_mwh) for s in resource.cost_segments]
    if not segments:
        segments = [Segment(mw=resource.p_max_mw, price=Decimal("0"))]
    return EnergyBid(kind=BidKind.ENERGY, resource=resource.resource_id,
                     hours=[EnergyHour(hour=h, segments=segments) for h in hours])


def load_bid(resource_id: str, mw: Decimal, hours: range) -> EnergyBid:
    return EnergyBid(kind=BidKind.ENERGY, resource=resource_id, hours=[
        EnergyHour(hour=h, self_schedule_mw=mw, self_schedule_type=SelfScheduleType.PT)
        for h in hours])


def spin_bid(resource_id: str, mw: Decimal, hours: range) -> AncillaryBid:
    return AncillaryBid(kind=BidKind.ANCILLARY, resource=resource_id, hours=[
        AncillaryHour(hour=h, offers=[AncillaryOffer(product=AncillaryProduct.SPIN, mw=mw,
                                                     price=Decimal("3"))]) for h in hours])


def virtual_bid(location: str, side: VirtualSide, mw: Decimal, price: Decimal,
                hours: range) -> VirtualBid:
    return VirtualBid(kind=BidKind.VIRTUAL, location=location, side=side, hours=[
        VirtualHour(hour=h, segments=[Segment(mw=mw, price=price)]) for h in hours])


@dataclass
class SmallMarket:
    a: Coordinator
    b: Coordinator
    a_units: list[str]
    b_units: list[str]


def small_market(session: Session, hours: range = range(1, 25),
                 trade_date: date = TRADE_DATE) -> SmallMarket:
    """Two SCs: A bids half of the small fleet and two loads, B the rest, a load and virtuals."""
    a, b = coordinator(session), coordinator(session)
    fleet = resources(session, list(SMALL_FLEET))
    a_units, b_units = fleet[::2], fleet[1::2]
    loads = resources(session, list(SMALL_LOAD_MW))
    assign_all(session, [*a_units, *loads[:2]], a.scid)
    assign_all(session, [*b_units, loads[2]], b.scid)
    for owner, units in ((a, a_units), (b, b_units)):
        for unit in units:
            insert_bid(session, owner.scid, cost_bid(unit, hours), trade_date=trade_date)
    for index, load in enumerate(loads):
        owner = a if index < 2 else b
        insert_bid(session, owner.scid, load_bid(load.resource_id, SMALL_LOAD_MW[load.resource_id],
                                                 hours), trade_date=trade_date)
    insert_bid(session, a.scid, spin_bid("101_STEAM_3", Decimal("5"), hours),
               trade_date=trade_date)
    insert_bid(session, b.scid, virtual_bid("DLAP_AREA1-APND", VirtualSide.DEMAND, Decimal("10"),
                                            Decimal("60"), hours), trade_date=trade_date)
    return SmallMarket(a, b, [u.resource_id for u in a_units], [u.resource_id for u in b_units])
