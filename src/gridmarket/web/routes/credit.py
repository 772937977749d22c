"""Credit pages: an SC's credit position, and the ISO's credit monitor across SCs.

Both read :mod:`gridmarket.credit.overview`, like ``/api/v1/credit/me`` and
``/api/v1/credit/monitor``: another SC's credit is answered 404, the monitor
is for credit analysts (403 for anyone else).
"""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep
from gridmarket.credit.components import EalComponentCode
from gridmarket.credit.notices import at_or_above_warning
from gridmarket.credit.overview import CreditOverview, credit_monitor, credit_overview
from gridmarket.errors import NotFound
from gridmarket.web.charts import Gauge, utilisation_gauge
from gridmarket.web.rendering import render
from gridmarket.web.viewer import ViewerDep

router = APIRouter(include_in_schema=False)


def _gauge(utilisation: Decimal | None, eal_usd: Decimal, acl_usd: Decimal,
           warning_ratio: Decimal, width: int) -> Gauge:
    return utilisation_gauge(None if utilisation is None else float(utilisation),
                             over_limit=eal_usd > acl_usd, warning_ratio=float(warning_ratio),
                             width=width)


@router.get("/credit")
def credit_home(request: Request, viewer: ViewerDep, session: SessionDep,
                parameters: ParametersDep, clock: ClockDep) -> Response:
    """ISO staff: the credit monitor (credit analysts). An SC's people: their SC's credit."""
    if not viewer.is_iso:
        if viewer.coordinator_id is None:
            raise NotFound("your organisation is not a scheduling coordinator")
        return RedirectResponse(f"/credit/{viewer.coordinator_id}", status_code=303)
    ratio = parameters.credit.utilisation_warning_ratio
    rows = [(row, at_or_above_warning(row.eal_usd, row.acl_usd, ratio),
             _gauge(row.utilisation, row.eal_usd, row.acl_usd, ratio, 120))
            for row in credit_monitor(session, viewer.principal, parameters, clock)]
    return render(request, "credit_monitor.html", {
        "rows": rows, "flagged": sum(1 for _, flagged, _ in rows if flagged),
    }, viewer=viewer)


@router.get("/credit/{coordinator_id}")
def credit_page(request: Request, coordinator_id: int, viewer: ViewerDep, session: SessionDep,
                parameters: ParametersDep, clock: ClockDep) -> Response:
    """An SC's credit: limit, security, EAL with its components, utilisation, calls, notices."""
    view: CreditOverview = credit_overview(session, viewer.principal, coordinator_id,
                                           parameters, clock)
    computation = view.last_computation
    components = [c for c in computation.components
                  if c.code != EalComponentCode.VIRTUAL_BID_EXPOSURE] if computation else []
    return render(request, "credit.html", {
        "view": view, "limit": view.limit, "components": components,
        "gauge": _gauge(view.utilisation, view.eal_usd, view.limit.acl_usd,
                        parameters.credit.utilisation_warning_ratio, 480),
    }, viewer=viewer)
