"""Read-side service functions of the Master File, shared by the API, pages and CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from gridmarket.access.errors import NotVisible
from gridmarket.access.principal import Principal
from gridmarket.errors import NotFound
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
    visible: ColumnElement[bool] | None = None,
    offset: int = 0,
    limit: int = 100,
) -> Page[Resource]:
    """One page of Master File resources ordered by resource ID (``visible`` filters)."""
    query = select(Resource)
    if visible is not None:
        query = query.where(visible)
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


def visible_resource(
    session: Session, principal: Principal, resource_id: str, at: datetime
) -> Resource:
    """The resource if ``principal`` is ISO staff or holds the SCID representing it at ``at``.

    Master File data is confidential between SCs: anyone else is told the
    resource does not exist (NotVisible, audited), exactly as for an unknown ID.
    """
    resource = get_resource(session, resource_id)
    if resource is None:
        raise NotFound(f"no resource {resource_id!r} in the Master File", field="resource_id")
    if principal.is_iso:
        return resource
    scid = scid_of_resource(session, resource, at)
    if scid is None or not principal.can_act_for(scid.code):
        raise NotVisible(
            f"no resource {resource_id!r} in the Master File",
            actor=principal,
            action="resource.view",
            object_type="resource",
            object_id=resource_id,
        )
    return resource


def visible_resource_filter(principal: Principal, at: datetime) -> ColumnElement[bool] | None:
    """A WHERE clause keeping the resources ``principal`` may see at ``at`` (None: all)."""
    if principal.is_iso:
        return None
    represented = (
        select(ResourceAssignment.resource_pk)
        .join(Scid, Scid.id == ResourceAssignment.scid_id)
        .where(
            Scid.code.in_(sorted(principal.scids)),
            ResourceAssignment.effective_from_utc <= at,
            (ResourceAssignment.effective_to_utc.is_(None))
            | (ResourceAssignment.effective_to_utc > at),
        )
    )
    return Resource.id.in_(represented)
