"""The web pages. Thin: gather through service functions, render a template."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select

from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import SystemClock
from gridmarket.network.models import Branch, NetworkModel
from gridmarket.participants.queries import registry
from gridmarket.resources.models import PricingNode, Resource

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, parameters: ParametersDep) -> HTMLResponse:
    """The market at a glance: network, scheduling coordinators, next deadlines."""
    calendar = MarketCalendar(parameters)
    now = SystemClock().now()
    next_trade_date = calendar.trade_date_of(now) + timedelta(days=1)
    day_ahead = [
        d
        for d in calendar.deadlines_for(next_trade_date)
        if d.hour_ending is None and d.instant_utc > now
    ]
    resources_by_type = {
        resource_type: count
        for resource_type, count in session.execute(
            select(Resource.resource_type, func.count()).group_by(Resource.resource_type)
        )
    }
    context = {
        "network": session.scalars(select(NetworkModel)).first(),
        "pricing_nodes": session.scalar(select(func.count()).select_from(PricingNode)) or 0,
        "branches": session.scalar(select(func.count()).select_from(Branch)) or 0,
        "resources_by_type": {k.value: v for k, v in sorted(resources_by_type.items())},
        "coordinators": registry(session),
        "next_trade_date": next_trade_date,
        "deadlines": day_ahead,
        "timezone": calendar.timezone,
    }
    return TEMPLATES.TemplateResponse(request, "home.html", context)
