"""Master File facts validation needs, read in a few queries per bid set."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Select, bindparam, exists, select
from sqlalchemy.orm import Session

from gridmarket.bidding.deadlines import calendar_of
from gridmarket.bidding.schema import AncillaryProduct
from gridmarket.bidding.validation import LocationFacts, ResourceFacts
from gridmarket.config import MarketParameters
from gridmarket.db.base import UnitPrice, UtcDateTime
from gridmarket.participants.models import SchedulingCoordinator, Scid, ScStatus
from gridmarket.resources.certifications import bid_eligibility_of_many
from gridmarket.resources.models import (
    AggregatedNode,
    PricingNode,
    Resource,
    ResourceAssignment,
    ResourceCostSegment,
    ResourceType,
)

DEMAND_TYPES = frozenset({ResourceType.LOAD, ResourceType.EXPORT_TIE})


def resource_facts(
    session: Session, resource_ids: Iterable[str], trade_date: date, parameters: MarketParameters
) -> dict[str, ResourceFacts]:
    """Facts of the named resources on ``trade_date``; unknown IDs are simply absent.

    Two queries: the resources with their representing SCID and whether a
    registered cost lies above the soft cap, then their certifications.
    """
    wanted = sorted(set(resource_ids))
    if not wanted:
        return {}
    day_start = calendar_of(parameters).trade_day_start_utc(trade_date)
    soft_cap = parameters.bids.soft_cap_usd_per_mwh
    rows = session.execute(_RESOURCES, {"wanted": wanted, "day_start": day_start,
                                        "soft_cap": soft_cap}).all()
    resources: list[Resource] = [row[0] for row in rows]
    ineligible = bid_eligibility_of_many(session, resources, trade_date, params=parameters)
    return {
        r.resource_id: ResourceFacts(
            resource_id=r.resource_id,
            pk=r.id,
            is_demand=r.resource_type in DEMAND_TYPES,
            p_min_mw=r.p_min_mw,
            p_max_mw=r.p_max_mw,
            represented_by=represented_by,
            is_rmr=r.is_rmr,
            is_demand_response=r.resource_type == ResourceType.PARTICIPATING_LOAD,
            certified_products=certified_products(r),
            verified_cost_above_soft_cap=bool(cost_above_cap),
            ineligible_reasons=tuple(ineligible[r.id]),
        )
        for r, represented_by, cost_above_cap in ((row[0], row[1], row[2]) for row in rows)
    }


def _resources_statement() -> Select[Any]:
    # Built once: building and keying a statement costs more than running it.
    day_start = bindparam("day_start", type_=UtcDateTime())
    represented = (
        select(Scid.code)
        .join(ResourceAssignment, ResourceAssignment.scid_id == Scid.id)
        .where(
            ResourceAssignment.resource_pk == Resource.id,
            ResourceAssignment.effective_from_utc <= day_start,
            (ResourceAssignment.effective_to_utc.is_(None))
            | (ResourceAssignment.effective_to_utc > day_start),
        )
        .limit(1)
        .scalar_subquery()
    )
    cost_above_cap = exists().where(
        ResourceCostSegment.resource_pk == Resource.id,
        ResourceCostSegment.price_usd_per_mwh > bindparam("soft_cap", type_=UnitPrice()),
    )
    return select(Resource, represented, cost_above_cap).where(
        Resource.resource_id.in_(bindparam("wanted", expanding=True)))


_RESOURCES = _resources_statement()


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
    scids = certified_scids(session) if with_scids else frozenset()
    return LocationFacts(nodes=frozenset(nodes), active_scids=scids)


def certified_scids(session: Session) -> frozenset[str]:
    """SCIDs whose scheduling coordinator is certified: those that may bid and trade."""
    return frozenset(session.scalars(
        select(Scid.code)
        .join(SchedulingCoordinator, SchedulingCoordinator.id == Scid.scheduling_coordinator_id)
        .where(SchedulingCoordinator.status == ScStatus.CERTIFIED)))
