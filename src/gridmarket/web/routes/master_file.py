"""The Master File browser: resources, one resource with its cost curve, history, certifications."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gridmarket.access.policy import Action, authorize
from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep
from gridmarket.calendar import MarketCalendar
from gridmarket.resources import certifications, master_file, queries, transfers
from gridmarket.resources.letters import program_flags
from gridmarket.resources.models import ResourceType
from gridmarket.web.charts import cost_curve_chart
from gridmarket.web.rendering import render
from gridmarket.web.viewer import ViewerDep

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/resources")
def resources_page(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    clock: ClockDep,
    type: str = "",
    offset: int = 0,
) -> Response:
    """Master File resources: every one for the ISO, those of its SCIDs for an SC."""
    authorize(viewer.principal, Action.VIEW_RESOURCE)
    resource_type = ResourceType(type) if type in ResourceType.__members__ else None
    page = queries.list_resources(
        session,
        resource_type=resource_type,
        visible=queries.visible_resource_filter(viewer.principal, clock.now()),
        offset=max(offset, 0),
        limit=PAGE_SIZE,
    )
    return render(
        request,
        "resources.html",
        {
            "page": page,
            "types": list(ResourceType),
            "type": resource_type.value if resource_type else "",
        },
        viewer=viewer,
    )


@router.get("/resources/{resource_id}")
def resource_page(
    request: Request,
    resource_id: str,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
) -> Response:
    """One resource (ISO, or the SC representing it): attributes, cost curve, history."""
    resource = queries.visible_resource(session, viewer.principal, resource_id, clock.now())
    today = MarketCalendar(parameters).trade_date_of(clock.now())
    segments = [
        (float(s.mw_from), float(s.mw_to), float(s.price_usd_per_mwh))
        for s in resource.cost_segments
    ]
    context: dict[str, Any] = {
        "resource": resource,
        "flags": program_flags(resource),
        "segments": resource.cost_segments,
        "chart": cost_curve_chart(segments),
        "current_scid": queries.scid_of_resource(session, resource, clock.now()),
        "assignments": transfers.assignment_history(session, resource_id),
        "changes": master_file.resource_history(session, resource_id),
        "required": certifications.required_certifications(resource, parameters),
        "missing": certifications.missing_certifications(
            session, resource, today, params=parameters
        ),
        "certifications": certifications.certifications_of(session, resource),
        "today": today,
    }
    return render(request, "resource.html", context, viewer=viewer)
