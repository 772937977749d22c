"""A small bidding world over HTTP: an ISO operator, two SCs with traders, resources, a node."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from sqlalchemy.orm import Session
from tests.conftest import AccessWorld
from tests.resource_helpers import assign, make_resource

from gridmarket.access.models import OrganisationKind, Role
from gridmarket.calendar import MarketCalendar
from gridmarket.resources.models import (
    AggregatedNode,
    AggregatedNodeKind,
    CertificationKind,
    Resource,
    ResourceCertification,
    ResourceCostSegment,
)

TRADE_DATE = date(2020, 7, 15)
CALENDAR = MarketCalendar()
DAM_CLOSE = CALENDAR.dam_close(TRADE_DATE)
BEFORE_CLOSE = DAM_CLOSE - timedelta(hours=2)
PASSWORD = "correct horse battery staple"


@dataclass
class BidWorld:
    scid: str
    other_scid: str
    unit: str
    """A 10-50 MW gas unit of ``scid``, certified for regulation and spinning."""
    other_unit: str
    """A unit of the other SC."""
    node: str
    trader: dict[str, str]
    other_trader: dict[str, str]
    operator: dict[str, str]
    reader: dict[str, str]
    """A read-only person of ``scid``'s SC."""
    emails: dict[str, str]
    """Log-in e-mails (password :data:`PASSWORD`) of "trader", "other_trader", "operator"."""


def certify(session: Session, resource: Resource) -> None:
    for kind in CertificationKind:
        session.add(ResourceCertification(
            resource_pk=resource.id, kind=kind, certified_on=date(2020, 1, 1),
            expires_on=date(2023, 1, 1), recorded_at=datetime(2020, 1, 1, tzinfo=UTC)))
    session.flush()


def build_world(session: Session, world_factory: Callable[[Session], AccessWorld]) -> BidWorld:
    world = world_factory(session)
    iso = world.organisation(OrganisationKind.ISO)
    operator = world.person(iso, Role.MARKET_OPERATOR, password=PASSWORD)
    organisation, [scid] = world.scheduling_coordinator()
    trader = world.person(organisation, Role.TRADER, scids=(scid,), password=PASSWORD)
    reader = world.person(organisation, Role.READ_ONLY, scids=(scid,))
    other_org, [other_scid] = world.scheduling_coordinator()
    other_trader = world.person(other_org, Role.TRADER, scids=(other_scid,), password=PASSWORD)
    unit = make_resource(session, certified_regulation=True, certified_spinning=True,
                         ra_capacity_mw=Decimal("0"))
    unit.cost_segments = [
        ResourceCostSegment(sequence=1, mw_from=Decimal(10), mw_to=Decimal(30),
                            incremental_heat_rate_btu_per_kwh=Decimal("9000"),
                            price_usd_per_mwh=Decimal("30")),
    ]
    other_unit = make_resource(session)
    for resource, code in ((unit, scid), (other_unit, other_scid)):
        assign(session, resource, code)
        certify(session, resource)
    node = AggregatedNode(name=f"DLAP_B{uuid4().hex[:6].upper()}-APND",
                          kind=AggregatedNodeKind.DLAP)
    session.add(node)
    session.flush()

    def bearer(person: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {world.api_token(person, lifetime_days=365)}"}

    return BidWorld(scid.code, other_scid.code, unit.resource_id, other_unit.resource_id,
                    node.name, bearer(trader), bearer(other_trader), bearer(operator),
                    bearer(reader), {"trader": trader.email, "other_trader": other_trader.email,
                                     "operator": operator.email})


def energy_bid(resource: str, hours: range = range(1, 25), *, price: str = "25",
               segments: list[tuple[str, str]] | None = None, **hour_fields: Any
               ) -> dict[str, Any]:
    curve = segments or [("30", price), ("50", str(Decimal(price) + 5))]
    return {"kind": "ENERGY", "resource": resource, "hours": [
        {"hour": h, "segments": [{"mw": mw, "price": p} for mw, p in curve], **hour_fields}
        for h in hours]}


def bid_set(scid: str, *bids: dict[str, Any], market: str = "DAM",
            trade_date: date = TRADE_DATE) -> dict[str, Any]:
    return {"scid": scid, "market": market, "trade_date": trade_date.isoformat(),
            "bids": list(bids)}
