"""Scheduling coordinators: the ISO's registry, an SC's own page and obligations, SCID pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from gridmarket.access.policy import Action, authorize
from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.errors import InvalidInput, NotFound
from gridmarket.participants import lifecycle, obligations
from gridmarket.participants.documents import store_document
from gridmarket.participants.models import Obligation, SchedulingCoordinator, Scid
from gridmarket.participants.notices import notices_for
from gridmarket.participants.queries import coordinators_visible_to
from gridmarket.participants.visibility import require_own_organisation
from gridmarket.resources import queries
from gridmarket.resources.transfers import list_transfers
from gridmarket.web.csrf import checked_form
from gridmarket.web.forms import (
    Problem,
    attempt,
    chosen_files,
    parse_date,
    parse_int,
    read_upload,
    text,
)
from gridmarket.web.rendering import render, see_other
from gridmarket.web.viewer import Viewer, ViewerDep

router = APIRouter(include_in_schema=False)
CheckedForm = Annotated[FormData, Depends(checked_form)]


@router.get("/coordinators")
def registry_page(request: Request, viewer: ViewerDep, session: SessionDep) -> Response:
    """The SC registry for ISO staff; an SC's people are taken to their own SC."""
    if not viewer.is_iso:
        if viewer.coordinator_id is None:
            raise NotFound("your organisation is not a scheduling coordinator")
        return RedirectResponse(f"/coordinators/{viewer.coordinator_id}", status_code=303)
    coordinators = coordinators_visible_to(session, viewer.principal)
    return render(request, "coordinators.html", {"coordinators": coordinators}, viewer=viewer)


def _visible_coordinator(
    session: Session, viewer: Viewer, coordinator_id: int
) -> SchedulingCoordinator:
    coordinator = session.get(SchedulingCoordinator, coordinator_id)
    if coordinator is None:
        raise NotFound(f"no scheduling coordinator {coordinator_id}", field="coordinator_id")
    require_own_organisation(
        viewer.principal,
        coordinator.organisation_id,
        action="scheduling_coordinator.view",
        object_type="scheduling_coordinator",
        object_id=coordinator_id,
    )
    return coordinator


def _coordinator_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    parameters: MarketParameters,
    clock: Clock,
    coordinator_id: int,
    *,
    problem: Problem | None = None,
    form_name: str | None = None,
) -> Response:
    coordinator = _visible_coordinator(session, viewer, coordinator_id)
    calendar = MarketCalendar(parameters)
    context: dict[str, Any] = {
        "coordinator": coordinator,
        "scids": sorted(coordinator.scids, key=lambda s: s.code),
        "notices": notices_for(session, coordinator.id),
        "obligations": session.scalars(
            select(Obligation)
            .where(Obligation.scheduling_coordinator_id == coordinator.id)
            .order_by(Obligation.due_on.desc(), Obligation.id.desc())
        ).all(),
        "history": lifecycle.history(session, coordinator),
        "active": coordinator.status in obligations.ACTIVE,
        "may_file": not viewer.is_iso and viewer.may(Action.SUBMIT_APPLICATION),
        "problem": problem,
        "problem_form": form_name,
        "this_year": calendar.trade_date_of(clock.now()).year,
        "officer_due_text": calendar.officer_certification_due(2000).strftime("%-d %B"),
    }
    return render(
        request,
        "coordinator.html",
        context,
        viewer=viewer,
        status_code=problem.status_code if problem else 200,
    )


@router.get("/coordinators/{coordinator_id}")
def coordinator_page(
    request: Request,
    coordinator_id: int,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
) -> Response:
    """An SC: its SCIDs, notices, obligations and status history (ISO and its own people)."""
    return _coordinator_page(request, session, viewer, parameters, clock, coordinator_id)


def _file(
    request: Request,
    session: Session,
    viewer: Viewer,
    parameters: MarketParameters,
    clock: Clock,
    coordinator_id: int,
    form_name: str,
    work: Callable[[], object],
    notice: str,
) -> Response:
    _visible_coordinator(session, viewer, coordinator_id)
    outcome = attempt(session, work)
    if isinstance(outcome, Problem):
        return _coordinator_page(
            request,
            session,
            viewer,
            parameters,
            clock,
            coordinator_id,
            problem=outcome,
            form_name=form_name,
        )
    return see_other(request, f"/coordinators/{coordinator_id}", notice)


@router.post("/coordinators/{coordinator_id}/material-changes")
def report_material_change(
    request: Request,
    coordinator_id: int,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """Report a material change."""
    return _file(
        request,
        session,
        viewer,
        parameters,
        clock,
        coordinator_id,
        "material-change",
        lambda: obligations.report_material_change(
            session,
            viewer.principal,
            coordinator_id,
            parse_date(text(form, "change_date"), "change_date"),
            text(form, "description"),
            None,
            parameters,
            clock,
        ),
        "Material change reported.",
    )


@router.post("/coordinators/{coordinator_id}/account-changes")
def request_account_change(
    request: Request,
    coordinator_id: int,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """Request an account change."""
    return _file(
        request,
        session,
        viewer,
        parameters,
        clock,
        coordinator_id,
        "account-change",
        lambda: obligations.request_account_change(
            session,
            viewer.principal,
            coordinator_id,
            parse_date(text(form, "effective_date"), "effective_date"),
            text(form, "description"),
            parameters,
            clock,
        ),
        "Account change requested.",
    )


@router.post("/coordinators/{coordinator_id}/officer-certifications")
def file_officer_certification(
    request: Request,
    coordinator_id: int,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """File the annual officer certification with its signed document."""

    def file() -> Obligation:
        files = chosen_files(form, "file")
        if not files:
            raise InvalidInput("attach the signed officer certification", field="file")
        document = store_document(
            session,
            filename=files[0].filename or "",
            content=read_upload(files[0], parameters.access.upload_limit_bytes),
            declared_type=files[0].content_type or "",
            organisation_id=viewer.principal.organisation_id,
            uploaded_by_id=viewer.principal.person_id,
            at=clock.now(),
            rules=parameters.access,
        )
        return obligations.file_officer_certification(
            session,
            viewer.principal,
            coordinator_id,
            parse_int(text(form, "year"), "year"),
            document,
            parameters,
            clock,
        )

    return _file(
        request,
        session,
        viewer,
        parameters,
        clock,
        coordinator_id,
        "officer-certification",
        file,
        "Officer certification filed.",
    )


@router.get("/scids/{code}")
def scid_page(
    request: Request, code: str, viewer: ViewerDep, session: SessionDep, clock: ClockDep
) -> Response:
    """One SCID: the resources it represents now and its transfers (ISO and its grantees)."""
    authorize(viewer.principal, Action.VIEW_RESOURCE, scid=code)
    scid = session.scalar(select(Scid).where(Scid.code == code))
    if scid is None:
        raise NotFound(f"no SCID {code!r}", field="scid")
    # The resources this SCID represents are those a grantee of this SCID alone would see.
    only_this_scid = replace(viewer.principal, is_iso=False, scids=frozenset({code}))
    resources = queries.list_resources(
        session,
        visible=queries.visible_resource_filter(only_this_scid, clock.now()),
        limit=10_000,
    )
    transfers = [
        t
        for t in list_transfers(session, viewer.principal)
        if code in (t.from_scid.code, t.to_scid.code)
    ]
    return render(
        request,
        "scid.html",
        {
            "scid": scid,
            "coordinator": scid.scheduling_coordinator,
            "resources": resources.items,
            "transfers": transfers,
        },
        viewer=viewer,
    )
