"""Dispute pages: an SC disputes a recalculation statement line; the ISO reviews the queue.

Filing and deciding go through :mod:`gridmarket.settlement.disputes`, like
the API: the window (rulebook §8), the fields a dispute names, and who may
see a dispute are its rules. A refused form is shown again with each message
beside its field.
"""

from __future__ import annotations

from decimal import Decimal
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
from gridmarket.errors import Conflict, InvalidInput
from gridmarket.resources.uploads import UploadedFile
from gridmarket.settlement import disputes
from gridmarket.settlement.billing_models import Dispute, DisputeStatus
from gridmarket.settlement.models import SettlementStatementLine
from gridmarket.settlement.views import visible_line
from gridmarket.web.csrf import checked_form
from gridmarket.web.forms import (
    Problem,
    attempt,
    chosen_files,
    parse_decimal,
    parse_hours,
    read_upload,
    text,
)
from gridmarket.web.rendering import render, see_other
from gridmarket.web.viewer import Viewer, ViewerDep

router = APIRouter(include_in_schema=False)
CheckedForm = Annotated[FormData, Depends(checked_form)]

DISPUTE_FIELDS = ("hours", "amount_claimed_usd", "reason")
DECISION_FIELDS = ("status", "amount_usd", "reason")


def _disputable_line(session: Session, viewer: Viewer, parameters: MarketParameters,
                     clock: Clock, statement_id: int, line_id: int) -> SettlementStatementLine:
    """The line, if the viewer may dispute it today (403, 404, or 409 saying why not)."""
    authorize(viewer.principal, Action.SUBMIT_DISPUTE)
    line = visible_line(session, viewer.principal, statement_id, line_id)
    today = MarketCalendar(parameters).trade_date_of(clock.now())
    refusal = disputes.why_not_disputable(line.statement, today, parameters)
    if refusal is not None:
        raise Conflict(refusal, field="statement_id")
    return line


def _form_page(request: Request, viewer: Viewer, parameters: MarketParameters,
               line: SettlementStatementLine, values: dict[str, str],
               errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    calendar = MarketCalendar(parameters)
    return render(request, "dispute_form.html", {
        "line": line, "statement": line.statement, "values": values, "errors": errors or {},
        "deadline": disputes.dispute_deadline(line.statement, calendar),
        "hours_in_day": calendar.hours_in_day(line.statement.trade_date),
        "limit_bytes": parameters.access.upload_limit_bytes,
    }, viewer=viewer, status_code=status_code)


@router.get("/statements/{statement_id}/lines/{line_id}/dispute")
def dispute_form(request: Request, statement_id: int, line_id: int, viewer: ViewerDep,
                 session: SessionDep, parameters: ParametersDep, clock: ClockDep) -> Response:
    """The dispute form for one line of a recalculation statement, within its window."""
    line = _disputable_line(session, viewer, parameters, clock, statement_id, line_id)
    return _form_page(request, viewer, parameters, line,
                      {"hours": "", "amount_claimed_usd": "", "reason": ""})


def _read_claim(form: FormData, values: dict[str, str], line: SettlementStatementLine,
                limit_bytes: int) -> tuple[disputes.DisputeRequest, UploadedFile] | dict[str, str]:
    """The claim and its evidence as typed, or every field that cannot even be read."""
    errors: dict[str, str] = {}
    hours: list[int] = []
    amount = Decimal(0)
    try:
        hours = parse_hours(values["hours"], "hours")
    except InvalidInput as error:
        errors["hours"] = error.message
    try:
        amount = parse_decimal(values["amount_claimed_usd"], "amount_claimed_usd")
    except InvalidInput as error:
        errors["amount_claimed_usd"] = error.message
    files = chosen_files(form, "evidence")
    if not files:
        errors["evidence"] = "attach the evidence for the dispute"
    if errors:
        return errors
    evidence = UploadedFile(files[0].filename or "", read_upload(files[0], limit_bytes),
                            files[0].content_type or "")
    claim = disputes.DisputeRequest(
        statement_id=line.statement_id, hours=hours, charge_code=line.charge_code,
        amount_claimed_usd=amount, reason=values["reason"], trade_date=line.statement.trade_date)
    return claim, evidence


@router.post("/statements/{statement_id}/lines/{line_id}/dispute")
def file_dispute(request: Request, statement_id: int, line_id: int, viewer: ViewerDep,
                 session: SessionDep, parameters: ParametersDep, clock: ClockDep,
                 form: CheckedForm) -> Response:
    """File the dispute with its evidence; a refused one is shown again with what is wrong."""
    line = _disputable_line(session, viewer, parameters, clock, statement_id, line_id)
    values = {name: text(form, name) for name in DISPUTE_FIELDS}
    read = _read_claim(form, values, line, parameters.access.upload_limit_bytes)
    if isinstance(read, dict):
        return _form_page(request, viewer, parameters, line, values, read, 422)
    claim, evidence = read
    outcome = attempt(session, lambda: disputes.submit_dispute(
        session, viewer.principal, claim, evidence=evidence, parameters=parameters, clock=clock))
    if isinstance(outcome, Problem):
        # The document store names its file "file"; on this form it is the evidence.
        field = "evidence" if outcome.field == "file" else outcome.field
        key = field if field in (*DISPUTE_FIELDS, "evidence") else "form"
        return _form_page(request, viewer, parameters, line, values, {key: outcome.message},
                          outcome.status_code)
    return see_other(request, f"/disputes/{outcome.id}",
                     f"Dispute {outcome.id} filed; the ISO will review it.")


@router.get("/disputes")
def disputes_page(request: Request, viewer: ViewerDep, session: SessionDep,
                  status: str | None = None) -> Response:
    """An SC's disputes; for ISO reviewers the queue (those awaiting a decision by default)."""
    if status is None and viewer.may(Action.REVIEW_DISPUTE):
        status = DisputeStatus.SUBMITTED.value
    if status not in DisputeStatus.__members__:
        status = ""  # "Any status" sends an empty value
    rows = disputes.visible_disputes(session, viewer.principal, status=status or None)
    return render(request, "disputes.html", {
        "disputes": rows, "status": status or "", "statuses": list(DisputeStatus),
    }, viewer=viewer)


def _dispute_page(request: Request, session: Session, viewer: Viewer, dispute_id: int,
                  values: dict[str, str] | None = None,
                  problem: Problem | None = None) -> Response:
    dispute = disputes.visible_dispute(session, viewer.principal, dispute_id)
    errors = {}
    if problem is not None:
        errors[problem.field if problem.field in DECISION_FIELDS else "form"] = problem.message
    return render(request, "dispute.html", {
        "dispute": dispute, "errors": errors,
        "values": values or {"status": "", "amount_usd": "", "reason": ""},
        "may_decide": viewer.may(Action.REVIEW_DISPUTE)
        and dispute.status == DisputeStatus.SUBMITTED,
    }, viewer=viewer, status_code=problem.status_code if problem else 200)


@router.get("/disputes/{dispute_id}")
def dispute_page(request: Request, dispute_id: int, viewer: ViewerDep,
                 session: SessionDep) -> Response:
    """One dispute: what it claims, its evidence, and the ISO's decision or review form."""
    return _dispute_page(request, session, viewer, dispute_id)


@router.post("/disputes/{dispute_id}/decision")
def decide(request: Request, dispute_id: int, viewer: ViewerDep, session: SessionDep,
           clock: ClockDep, form: CheckedForm) -> Response:
    """The ISO's decision: accept, accept in part (amount and reasons) or reject (reasons)."""
    authorize(viewer.principal, Action.REVIEW_DISPUTE)
    values = {name: text(form, name) for name in DECISION_FIELDS}

    def decide_it() -> Dispute:
        if values["status"] not in set(DisputeStatus) - {DisputeStatus.SUBMITTED}:
            raise InvalidInput("choose accept, accept in part or reject", field="status")
        partial = values["status"] == DisputeStatus.PARTIALLY_ACCEPTED
        amount = (parse_decimal(values["amount_usd"], "amount_usd")
                  if partial and values["amount_usd"] else None)
        return disputes.decide_dispute(
            session, viewer.principal, dispute_id,
            disputes.DisputeDecision(values["status"], amount, values["reason"]), clock=clock)

    outcome = attempt(session, decide_it)
    if isinstance(outcome, Problem):
        return _dispute_page(request, session, viewer, dispute_id, values, outcome)
    return see_other(request, f"/disputes/{dispute_id}",
                     f"Dispute {dispute_id} decided: {outcome.status.replace('_', ' ').lower()}.")
