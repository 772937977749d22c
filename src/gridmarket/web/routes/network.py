"""The network map of the loaded model: buses by latitude and longitude, branches, HVDC."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from gridmarket.api.deps import SessionDep
from gridmarket.network.models import Branch, DcLine, NetworkModel
from gridmarket.resources.queries import list_pricing_nodes
from gridmarket.web.charts import BusPoint, Link, network_map
from gridmarket.web.rendering import render
from gridmarket.web.viewer import OptionalViewer

router = APIRouter(include_in_schema=False)

AREA_COLOURS = ("#0b5cad", "#b5470b", "#2e7d32", "#6a1b9a", "#00796b")
"""Colours of areas 1, 2, 3, ...; each has at least 4.5:1 contrast on white."""


@router.get("/network")
def network_page(request: Request, viewer: OptionalViewer, session: SessionDep) -> Response:
    """The grid on a map (public: the same data as ``GET /api/v1/pricing-nodes``)."""
    model = session.scalars(select(NetworkModel).order_by(NetworkModel.id)).first()
    nodes = list_pricing_nodes(session)
    buses = [
        BusPoint(
            n.bus_number,
            f"{n.name} (bus {n.bus_number}, {n.base_kv:g} kV)",
            n.area,
            n.latitude,
            n.longitude,
        )
        for n in nodes
        if n.latitude is not None and n.longitude is not None
    ]
    links: list[Link] = []
    if model is not None:
        for branch in session.scalars(select(Branch).where(Branch.network_model_id == model.id)):
            kind = "transformer" if branch.is_transformer else "ac"
            links.append(Link(branch.uid, branch.from_bus, branch.to_bus, kind))
        for line in session.scalars(select(DcLine).where(DcLine.network_model_id == model.id)):
            links.append(
                Link(
                    f"{line.uid} (HVDC, {line.max_flow_mw:,.0f} MW)",
                    line.from_bus,
                    line.to_bus,
                    "hvdc",
                )
            )
    drawing = network_map(buses, links, unplaced_buses=len(nodes) - len(buses))
    areas = sorted({b.area for b in buses})
    return render(
        request,
        "network.html",
        {
            "model": model,
            "map": drawing,
            "areas": areas,
            "colours": {area: AREA_COLOURS[(area - 1) % len(AREA_COLOURS)] for area in areas},
            "counts": {
                "buses": len(nodes),
                "ac": sum(1 for link in links if link.kind == "ac"),
                "transformer": sum(1 for link in links if link.kind == "transformer"),
                "hvdc": sum(1 for link in links if link.kind == "hvdc"),
            },
        },
        viewer=viewer,
    )
