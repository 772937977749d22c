"""Read-side service functions of the Master File, shared by the API, pages and CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from gridmarket.participants.models import Scid
from gridmarket.resources.models import (
    AggregatedNode,
    AggregatedNodeMember,
    PricingNode,
    Resource,
    ResourceAssignment,
    ResourceType,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


def list_pricing_nodes(session: Session, *, area: int | None = None) -> list[PricingNode]:
    """Pricing nodes ordered by bus number, optionally of one area."""
    query = select(PricingNode).order_by(PricingNode.bus_number)
    if area is not None:
        query = query.where(PricingNode.area == area)
    return list(session.scalars(query))


def list_aggregated_nodes(session: Session) -> list[AggregatedNode]:
    query = (
        select(AggregatedNode)
        .options(selectinload(AggregatedNode.members).joinedload(AggregatedNodeMember.pricing_node))
        .order_by(AggregatedNode.name)
    )
    return list(session.scalars(query))


def list_resources(
    session: Session,
    *,
    resource_type: ResourceType | None = None,
    offset: int = 0,
    limit: int = 100,
) -> Page[Resource]:
    """One page of Master File resources ordered by resource ID."""
    query = select(Resource)
    if resource_type is not None:
        query = query.where(Resource.resource_type == resource_type)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.options(joinedload(Resource.pricing_node), joinedload(Resource.aggregated_node))
        .order_by(Resource.resource_id)
        .offset(offset)
        .limit(limit)
    ).all()
    return Page(items=list(items), total=total, offset=offset, limit=limit)


def get_resource(session: Session, resource_id: str) -> Resource | None:
    """The resource with Master File ID ``resource_id`` (cost curve loaded), or None."""
    return session.scalars(
        select(Resource)
        .options(
            selectinload(Resource.cost_segments),
            joinedload(Resource.pricing_node),
            joinedload(Resource.aggregated_node),
        )
        .where(Resource.resource_id == resource_id)
    ).one_or_none()


def scid_of_resource(session: Session, resource: Resource, at: datetime) -> Scid | None:
    """The SCID representing ``resource`` at instant ``at`` (effective-dated history)."""
    assignment = session.scalars(
        select(ResourceAssignment)
        .options(joinedload(ResourceAssignment.scid))
        .where(
            ResourceAssignment.resource_pk == resource.id,
            ResourceAssignment.effective_from_utc <= at,
            (ResourceAssignment.effective_to_utc.is_(None))
            | (ResourceAssignment.effective_to_utc > at),
        )
    ).one_or_none()
    return assignment.scid if assignment else None
