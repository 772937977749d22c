"""My API tokens: create one (its secret shown once), see them, revoke them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from gridmarket.access import tokens
from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.web.csrf import checked_form
from gridmarket.web.forms import Problem, attempt, parse_int, text
from gridmarket.web.rendering import render, see_other
from gridmarket.web.viewer import Viewer, ViewerDep

router = APIRouter(include_in_schema=False)
CheckedForm = Annotated[FormData, Depends(checked_form)]
DEFAULT_LIFETIME_DAYS = 90


def _tokens_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    parameters: MarketParameters,
    clock: Clock,
    *,
    created: tokens.IssuedToken | None = None,
    problem: Problem | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    base = str(request.base_url)
    context: dict[str, Any] = {
        "tokens": tokens.list_tokens(session, viewer.principal.person_id),
        "created": created,
        "problem": problem,
        "values": values or {"name": "", "lifetime_days": str(DEFAULT_LIFETIME_DAYS)},
        "max_lifetime_days": parameters.access.max_token_lifetime_days,
        "now": clock.now(),
        "api_base": base + "api/v1",
        "connectivity_url": f"{base}api/v1/applications/{viewer.application_id}/connectivity-test"
        if viewer.application_id is not None and not viewer.is_iso
        else None,
    }
    return render(
        request,
        "tokens.html",
        context,
        viewer=viewer,
        status_code=problem.status_code if problem else 200,
    )


@router.get("/tokens")
def tokens_page(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
) -> Response:
    """The person's API tokens, newest first."""
    return _tokens_page(request, session, viewer, parameters, clock)


@router.post("/tokens")
def create_token(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """Create a token for oneself and show its secret, this once."""
    values = {"name": text(form, "name"), "lifetime_days": text(form, "lifetime_days")}
    outcome = attempt(
        session,
        lambda: tokens.create_api_token(
            session,
            viewer.principal.person_id,
            name=values["name"],
            lifetime_days=parse_int(values["lifetime_days"], "lifetime_days"),
            rules=parameters.access,
            clock=clock,
            actor=viewer.principal,
        ),
    )
    if isinstance(outcome, Problem):
        return _tokens_page(
            request, session, viewer, parameters, clock, problem=outcome, values=values
        )
    response = _tokens_page(request, session, viewer, parameters, clock, created=outcome)
    response.headers["Cache-Control"] = "no-store"  # The secret must not stay in a cache.
    return response


@router.post("/tokens/{token_id}/revoke")
def revoke_token(
    request: Request,
    token_id: int,
    viewer: ViewerDep,
    session: SessionDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """Revoke one of one's tokens; it stops working on the next request."""
    token = tokens.revoke_token(session, token_id, actor=viewer.principal, clock=clock)
    session.commit()
    return see_other(request, "/tokens", f"Token “{token.name}” revoked.")
