"""The audit log viewer: filter by actor, action and date; verify the hash chain."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from gridmarket.access.audit import AuditVerification, find_audit_entries, verify_audit_chain
from gridmarket.access.policy import Action, authorize
from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.calendar import MarketCalendar
from gridmarket.config import MarketParameters
from gridmarket.web.csrf import checked_form
from gridmarket.web.rendering import render
from gridmarket.web.viewer import Viewer, ViewerDep

router = APIRouter(include_in_schema=False)
CheckedForm = Annotated[FormData, Depends(checked_form)]
PAGE_SIZE = 50


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _audit_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    parameters: MarketParameters,
    filters: dict[str, str],
    offset: int,
    *,
    verification: AuditVerification | None = None,
) -> Response:
    authorize(viewer.principal, Action.VIEW_AUDIT_LOG)
    calendar = MarketCalendar(parameters)
    since_day, until_day = _day(filters["since"]), _day(filters["until"])
    # Dates are market (Pacific) days: from the start of one to the end of the other.
    since: datetime | None = calendar.trade_day_start_utc(since_day) if since_day else None
    until: datetime | None = (
        calendar.trade_day_start_utc(until_day + timedelta(days=1)) if until_day else None
    )
    page = find_audit_entries(
        session,
        actor_email=filters["actor"] or None,
        action=filters["action"] or None,
        since=since,
        until=until,
        offset=max(offset, 0),
        limit=PAGE_SIZE,
    )
    context: dict[str, Any] = {
        "page": page,
        "filters": filters,
        "verification": verification,
        "bad_dates": [n for n in ("since", "until") if filters[n] and _day(filters[n]) is None],
        "query": urlencode({name: value for name, value in filters.items() if value}),
    }
    return render(request, "audit.html", context, viewer=viewer)


@router.get("/audit")
def audit_page(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    actor: str = "",
    action: str = "",
    since: str = "",
    until: str = "",
    offset: int = 0,
) -> Response:
    """The audit log, newest first (ISO administrators)."""
    filters = {"actor": actor.strip(), "action": action.strip(), "since": since, "until": until}
    return _audit_page(request, session, viewer, parameters, filters, offset)


@router.post("/audit/verify")
def verify_chain(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    form: CheckedForm,
) -> Response:
    """Walk the whole chain and show whether it is intact, or its first bad entry."""
    authorize(viewer.principal, Action.VIEW_AUDIT_LOG)
    filters = {"actor": "", "action": "", "since": "", "until": ""}
    return _audit_page(
        request, session, viewer, parameters, filters, 0, verification=verify_audit_chain(session)
    )
