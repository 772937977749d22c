"""Settlement runs for the ISO's settlement staff: each trade date's runs and neutrality."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gridmarket.api.deps import SessionDep
from gridmarket.settlement.run_views import settlement_days
from gridmarket.web.rendering import render
from gridmarket.web.viewer import ViewerDep

router = APIRouter(include_in_schema=False)


@router.get("/settlement-runs")
def settlement_runs_page(request: Request, viewer: ViewerDep, session: SessionDep,
                         trade_date: date | None = None) -> Response:
    """Per trade date: the settlement runs and the sum of every account's statements."""
    days = settlement_days(session, viewer.principal, trade_date=trade_date)
    return render(request, "settlement_runs.html", {"days": days, "trade_date": trade_date},
                  viewer=viewer)
