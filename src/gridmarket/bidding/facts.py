"""Master File facts validation needs, read in a few queries per bid set."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gridmarket.bidding.schema import AncillaryProduct
from gridmarket.bidding.validation import LocationFacts, ResourceFacts
from gridmarket.calendar import MarketCalendar
from gridmarket.config import MarketParameters
from gridmarket.participants.models import SchedulingCoordinator, Scid, ScStatus
from gridmarket.resources.certifications import bid_eligibility_of_many
from gridmarket.resources.models import (
    AggregatedNode,
    PricingNode,
    Resource,
    ResourceAssignment,
    ResourceType,
)

DEMAND_TYPES = frozenset({ResourceType.LOAD, ResourceType.EXPORT_TIE})


def resource_facts(
    session: Session, resource_ids: Iterable[str], trade_date: date, parameters: MarketParameters
) -> dict[str, ResourceFacts]:
    """Facts of the named resources on ``trade_date``; unknown IDs are simply absent."""
    wanted = sorted(set(resource_ids))
    if not wanted:
        return {}
    day_start = MarketCalendar(parameters).trade_day_start_utc(trade_date)
    resources = list(session.scalars(
        select(Resource)
        .options(selectinload(Resource.cost_segments))
        .where(Resource.resource_id.in_(wanted))
    ))
    represented: dict[int, str] = dict(session.execute(
        select(ResourceAssignment.resource_pk, Scid.code)
        .join(Scid, Scid.id == ResourceAssignment.scid_id)
        .where(
            ResourceAssignment.resource_pk.in_([r.id for r in resources]),
            ResourceAssignment.effective_from_utc <= day_start,
            (ResourceAssignment.effective_to_utc.is_(None))
            | (ResourceAssignment.effective_to_utc > day_start),
        )
    ).all())
    ineligible = bid_eligibility_of_many(session, resources, trade_date, params=parameters)
    soft_cap = parameters.bids.soft_cap_usd_per_mwh
    return {
        r.resource_id: ResourceFacts(
            resource_id=r.resource_id,
            pk=r.id,
            is_demand=r.resource_type in DEMAND_TYPES,
            p_min_mw=r.p_min_mw,
            p_max_mw=r.p_max_mw,
            represented_by=represented.get(r.id),
            is_rmr=r.is_rmr,
            is_demand_response=r.resource_type == ResourceType.PARTICIPATING_LOAD,
            certified_products=certified_products(r),
            verified_cost_above_soft_cap=any(s.price_usd_per_mwh > soft_cap
                                             for s in r.cost_segments),
            ineligible_reasons=tuple(ineligible[r.id]),
        )
        for r in resources
    }


def certified_products(resource: Resource) -> frozenset[AncillaryProduct]:
    """The AS products a resource may offer: its certifications; demand response non-spin only."""
    products = set()
    if resource.certified_regulation:
        products |= {AncillaryProduct.REG_UP, AncillaryProduct.REG_DOWN}
    if resource.certified_spinning:
        products.add(AncillaryProduct.SPIN)
    if resource.certified_non_spinning:
        products.add(AncillaryProduct.NON_SPIN)
    if resource.resource_type == ResourceType.PARTICIPATING_LOAD:
        products &= {AncillaryProduct.NON_SPIN}
    return frozenset(products)


def location_facts(session: Session, *, with_scids: bool) -> LocationFacts:
    """Every pricing and aggregated node; the certified SCIDs when trades need them."""
    nodes = set(session.scalars(select(PricingNode.name)))
    nodes.update(session.scalars(select(AggregatedNode.name)))
    scids: set[str] = set()
    if with_scids:
        scids.update(session.scalars(
            select(Scid.code)
            .join(SchedulingCoordinator, SchedulingCoordinator.id == Scid.scheduling_coordinator_id)
            .where(SchedulingCoordinator.status == ScStatus.CERTIFIED)
        ))
    return LocationFacts(nodes=frozenset(nodes), active_scids=frozenset(scids))
