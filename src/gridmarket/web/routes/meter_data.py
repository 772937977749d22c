"""Meter data pages: an SC uploads SQMD as a CSV file and reads its meter data versions.

The upload goes through the same service as ``POST /api/v1/meter-data/upload``
(:func:`gridmarket.metering.sqmd_csv.submit_sqmd_csv`): every record is
checked on its own, the accepted ones are stored as a new version, and the
submission's page lists every rejected record with its row, file line and reason.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from gridmarket.access.policy import Action, authorize
from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.errors import InvalidInput
from gridmarket.metering import queries
from gridmarket.metering.models import MeterDataSubmission
from gridmarket.metering.sqmd import MeterDataRejected, Rejection, SqmdResult
from gridmarket.metering.sqmd_csv import COLUMNS, submit_sqmd_csv
from gridmarket.web.csrf import checked_form
from gridmarket.web.forms import Problem, attempt, chosen_files, parse_date, read_upload, text
from gridmarket.web.rendering import render, see_other
from gridmarket.web.viewer import Viewer, ViewerDep

router = APIRouter(include_in_schema=False)
CheckedForm = Annotated[FormData, Depends(checked_form)]


def _chosen_scid(viewer: Viewer, scid: str | None) -> str | None:
    """The SCID asked for, else the viewer's first (ISO staff name one)."""
    return scid.strip().upper() if scid else (viewer.scids[0] if viewer.scids else None)


@router.get("/meter-data")
def meter_data_page(request: Request, viewer: ViewerDep, session: SessionDep,
                    scid: str | None = None) -> Response:
    """The SCID's meter data versions, grouped by trade date, newest first."""
    chosen = _chosen_scid(viewer, scid)
    history = queries.submission_history(session, viewer.principal, chosen) if chosen else []
    by_day: dict[date, list[MeterDataSubmission]] = {}
    for submission in history:
        by_day.setdefault(submission.trade_date, []).append(submission)
    return render(request, "meter_data.html", {
        "scid": chosen, "scids": viewer.scids, "by_day": by_day,
        "may_submit": viewer.may(Action.SUBMIT_METER_DATA) and bool(viewer.scids),
    }, viewer=viewer)


def _upload_page(request: Request, session: Session, viewer: Viewer,
                 parameters: MarketParameters, clock: Clock, values: dict[str, str], *,
                 problem: Problem | None = None) -> Response:
    errors: dict[str, str] = {}
    rejected: list[Rejection] = []
    if problem is not None:
        if isinstance(problem.cause, MeterDataRejected):
            rejected = problem.cause.problems
        errors[problem.field or "form"] = problem.message
    scid = values.get("scid") or None
    resources = (queries.sc_metered_resources(session, viewer.principal, scid, clock.now())
                 if scid in viewer.scids else [])
    return render(request, "meter_data_upload.html", {
        "values": values, "errors": errors, "rejected": rejected,
        "scid_options": [(code, code) for code in viewer.scids],
        "resources": resources, "columns": list(COLUMNS),
        "limit_bytes": parameters.access.upload_limit_bytes,
    }, viewer=viewer, status_code=problem.status_code if problem else 200)


@router.get("/meter-data/upload")
def upload_form(request: Request, viewer: ViewerDep, session: SessionDep,
                parameters: ParametersDep, clock: ClockDep, scid: str | None = None) -> Response:
    """The SQMD upload form for one of the viewer's SCIDs."""
    authorize(viewer.principal, Action.SUBMIT_METER_DATA)
    chosen = _chosen_scid(viewer, scid) or ""
    if chosen:
        authorize(viewer.principal, Action.SUBMIT_METER_DATA, scid=chosen)
    yesterday = MarketCalendar(parameters).trade_date_of(clock.now()) - timedelta(days=1)
    values = {"scid": chosen, "trade_date": yesterday.isoformat()}
    return _upload_page(request, session, viewer, parameters, clock, values)


@router.post("/meter-data/upload")
def upload(request: Request, viewer: ViewerDep, session: SessionDep, parameters: ParametersDep,
           clock: ClockDep, form: CheckedForm) -> Response:
    """Store the accepted records as a new version; show the rejected ones with their reasons."""
    values = {"scid": text(form, "scid").upper(), "trade_date": text(form, "trade_date")}

    def submit() -> SqmdResult:
        files = chosen_files(form, "file")
        if not files:
            raise InvalidInput("choose the CSV file to upload", field="file")
        data = read_upload(files[0], parameters.access.upload_limit_bytes)
        return submit_sqmd_csv(session, viewer.principal, values["scid"],
                               parse_date(values["trade_date"], "trade_date"), data,
                               parameters=parameters, clock=clock)

    outcome = attempt(session, submit)
    if isinstance(outcome, Problem):
        return _upload_page(request, session, viewer, parameters, clock, values, problem=outcome)
    stored = outcome.submission
    return see_other(request, f"/meter-data/submissions/{stored.id}",
                     f"Version {stored.version} of {outcome.scid} for {stored.trade_date} stored: "
                     f"{stored.records_accepted} record(s) accepted, "
                     f"{stored.records_rejected} rejected.")


@router.get("/meter-data/submissions/{submission_id}")
def submission_page(request: Request, submission_id: int, viewer: ViewerDep,
                    session: SessionDep) -> Response:
    """One version: counts, deadline, and every rejected record with its row and reason."""
    submission, scid = queries.visible_submission(session, viewer.principal, submission_id)
    return render(request, "meter_data_submission.html", {
        "submission": submission, "scid": scid,
        "rejected": json.loads(submission.rejections_json),
    }, viewer=viewer)
