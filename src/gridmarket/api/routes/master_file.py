"""Master File reads: pricing nodes, aggregated nodes, resources."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel

from gridmarket.access.policy import Action
from gridmarket.access.principal import Principal
from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep, require
from gridmarket.resources import queries
from gridmarket.resources.models import Resource, ResourceType

router = APIRouter(prefix="/api/v1", tags=["master file"])
Viewer = Annotated[Principal, Depends(require(Action.VIEW_RESOURCE))]


class PricingNodeOut(BaseModel):
    name: str
    bus_number: int
    bus_name: str
    area: int
    base_kv: float
    latitude: float | None
    longitude: float | None


class AggregatedNodeMemberOut(BaseModel):
    pricing_node: str
    weight: Decimal


class AggregatedNodeOut(BaseModel):
    name: str
    kind: str
    area: int | None
    members: list[AggregatedNodeMemberOut]


class CostSegmentOut(BaseModel):
    mw_from: Decimal
    mw_to: Decimal
    price_usd_per_mwh: Decimal


class ResourceOut(BaseModel):
    resource_id: str
    name: str
    resource_type: ResourceType
    category: str
    fuel: str
    pricing_node: str | None
    aggregated_node: str | None
    p_min_mw: Decimal
    p_max_mw: Decimal
    ramp_rate_mw_per_min: Decimal
    min_up_hours: int
    min_down_hours: int
    startup_cost_usd: Decimal
    min_load_cost_usd_per_hour: Decimal
    metering_type: str
    telemetry_required: bool
    certified_regulation: bool
    certified_spinning: bool
    certified_non_spinning: bool


class ResourceDetailOut(ResourceOut):
    cost_curve: list[CostSegmentOut]


class ResourcePage(BaseModel):
    items: list[ResourceOut]
    total: int
    offset: int
    limit: int


def _resource_fields(resource: Resource) -> dict[str, object]:
    return {
        "resource_id": resource.resource_id,
        "name": resource.name,
        "resource_type": resource.resource_type,
        "category": resource.category,
        "fuel": resource.fuel,
        "pricing_node": resource.pricing_node.name if resource.pricing_node else None,
        "aggregated_node": resource.aggregated_node.name if resource.aggregated_node else None,
        "p_min_mw": resource.p_min_mw,
        "p_max_mw": resource.p_max_mw,
        "ramp_rate_mw_per_min": resource.ramp_rate_mw_per_min,
        "min_up_hours": resource.min_up_hours,
        "min_down_hours": resource.min_down_hours,
        "startup_cost_usd": resource.startup_cost_usd,
        "min_load_cost_usd_per_hour": resource.min_load_cost_usd_per_hour,
        "metering_type": resource.metering_type.value,
        "telemetry_required": resource.telemetry_required,
        "certified_regulation": resource.certified_regulation,
        "certified_spinning": resource.certified_spinning,
        "certified_non_spinning": resource.certified_non_spinning,
    }


@router.get("/pricing-nodes", response_model=list[PricingNodeOut])
def list_pricing_nodes(
    session: SessionDep, area: Annotated[int | None, Query(ge=1)] = None
) -> list[PricingNodeOut]:
    """Pricing nodes of the network model, by bus number."""
    return [
        PricingNodeOut.model_validate(node, from_attributes=True)
        for node in queries.list_pricing_nodes(session, area=area)
    ]


@router.get("/aggregated-nodes", response_model=list[AggregatedNodeOut])
def list_aggregated_nodes(session: SessionDep) -> list[AggregatedNodeOut]:
    """Aggregated pricing nodes (default load aggregation points) with member weights."""
    return [
        AggregatedNodeOut(
            name=node.name,
            kind=node.kind.value,
            area=node.area,
            members=[
                AggregatedNodeMemberOut(pricing_node=m.pricing_node.name, weight=m.weight)
                for m in node.members
            ],
        )
        for node in queries.list_aggregated_nodes(session)
    ]


@router.get("/resources", response_model=ResourcePage)
def list_resources(
    session: SessionDep,
    parameters: ParametersDep,
    principal: Viewer,
    clock: ClockDep,
    resource_type: ResourceType | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1)] = 100,
) -> ResourcePage:
    """One page of the Master File: every resource for the ISO, an SC's own for an SC."""
    if limit > parameters.access.download_limit_records:
        raise HTTPException(
            status_code=422,
            detail=f"limit {limit} exceeds the download limit of "
            f"{parameters.access.download_limit_records} records; page with offset",
        )
    page = queries.list_resources(
        session,
        resource_type=resource_type,
        visible=queries.visible_resource_filter(principal, clock.now()),
        offset=offset,
        limit=limit,
    )
    return ResourcePage(
        items=[ResourceOut.model_validate(_resource_fields(r)) for r in page.items],
        total=page.total,
        offset=page.offset,
        limit=page.limit,
    )


@router.get(
    "/resources/{resource_id}",
    response_model=ResourceDetailOut,
    responses={404: {"description": "No such resource"}},
)
def get_resource(
    resource_id: str, session: SessionDep, principal: Viewer, clock: ClockDep
) -> ResourceDetailOut:
    """One resource with its registered incremental cost curve (ISO or its own SC)."""
    resource = queries.visible_resource(session, principal, resource_id, clock.now())
    curve = [
        CostSegmentOut(mw_from=s.mw_from, mw_to=s.mw_to, price_usd_per_mwh=s.price_usd_per_mwh)
        for s in resource.cost_segments
    ]
    return ResourceDetailOut.model_validate({**_resource_fields(resource), "cost_curve": curve})
