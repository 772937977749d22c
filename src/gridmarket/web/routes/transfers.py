"""Resource transfers: the queue, a new request, one request with its letters, the ISO's decision.

A request is submitted through :func:`~gridmarket.resources.transfers.submit_transfer`
and its letters rendered at once, as the API's two calls do; the ISO approves
or rejects it and, on the effective date, applies the transfers due.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from gridmarket.access.models import Person
from gridmarket.access.policy import Action, authorize
from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep
from gridmarket.calendar import MarketCalendar
from gridmarket.resources import transfer_documents, transfers
from gridmarket.resources.models import (
    ResourceTransfer,
    TransferDocumentSlot,
    TransferKind,
    TransferStatus,
)
from gridmarket.resources.transfer_rules import SLOT_TITLES, earliest_effective_date
from gridmarket.web.csrf import checked_form
from gridmarket.web.forms import Problem, attempt, parse_date, text
from gridmarket.web.rendering import download, render, see_other
from gridmarket.web.viewer import Viewer, ViewerDep

router = APIRouter(include_in_schema=False)
CheckedForm = Annotated[FormData, Depends(checked_form)]


@router.get("/transfers")
def transfers_page(
    request: Request, viewer: ViewerDep, session: SessionDep, status: str = ""
) -> Response:
    """Transfers the viewer may see (all for the ISO), newest first, by status."""
    chosen = TransferStatus(status) if status in TransferStatus.__members__ else None
    rows = transfers.list_transfers(session, viewer.principal, status=chosen)
    return render(
        request,
        "transfers.html",
        {
            "transfers": rows,
            "statuses": list(TransferStatus),
            "status": chosen.value if chosen else "",
            "may_request": viewer.may(Action.SUBMIT_TRANSFER) and bool(viewer.scids),
            "may_apply": viewer.may(Action.APPROVE_TRANSFER),
        },
        viewer=viewer,
    )


REQUEST_FIELDS = (
    "to_scid",
    "from_scid",
    "resource_ids",
    "effective_date",
    "resource_owner",
    "signatory_name",
    "signatory_title",
)


def _request_page(
    request: Request,
    viewer: Viewer,
    calendar: MarketCalendar,
    today: date,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    earliest = earliest_effective_date(
        TransferKind.CHANGE_OF_SC, today, has_station_power=False, calendar=calendar
    )
    return render(
        request,
        "transfer_new.html",
        {
            "values": values,
            "errors": errors,
            "scid_options": [(code, code) for code in viewer.scids],
            "earliest": earliest,
            "lead_days": calendar.params.resources.transfer_lead_business_days,
        },
        viewer=viewer,
        status_code=status_code,
    )


@router.get("/transfers/new")
def request_form(
    request: Request, viewer: ViewerDep, parameters: ParametersDep, clock: ClockDep
) -> Response:
    """The form of a new transfer request, for people who may submit one for their SCIDs."""
    authorize(viewer.principal, Action.SUBMIT_TRANSFER)
    calendar = MarketCalendar(parameters)
    today = calendar.trade_date_of(clock.now())
    values = dict.fromkeys(REQUEST_FIELDS, "")
    values["to_scid"] = viewer.scids[0] if len(viewer.scids) == 1 else ""
    return _request_page(request, viewer, calendar, today, values, {})


@router.post("/transfers/new")
def submit_request(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """Submit a transfer request and render its letters; a refused one comes back with why."""
    calendar = MarketCalendar(parameters)
    today = calendar.trade_date_of(clock.now())
    values = {name: text(form, name) for name in REQUEST_FIELDS}
    values["from_scid"] = values["from_scid"].upper()

    def submit() -> ResourceTransfer:
        transfer = transfers.submit_transfer(
            session,
            viewer.principal,
            transfers.TransferRequest(
                resource_ids=[rid.strip() for rid in values["resource_ids"].split(",")
                              if rid.strip()],
                from_scid=values["from_scid"],
                to_scid=values["to_scid"],
                effective_date=parse_date(values["effective_date"], "effective_date")
                if values["effective_date"] else None,
                resource_owner=values["resource_owner"],
                signatory_name=values["signatory_name"],
                signatory_title=values["signatory_title"],
            ),
            clock=clock,
            calendar=calendar,
        )
        transfer_documents.generate_transfer_letters(
            session, viewer.principal, transfer.id, clock=clock, params=parameters
        )
        return transfer

    outcome = attempt(session, submit)
    if isinstance(outcome, Problem):
        key = outcome.field if outcome.field in REQUEST_FIELDS else "form"
        return _request_page(
            request, viewer, calendar, today, values, {key: outcome.message}, outcome.status_code
        )
    return see_other(
        request,
        f"/transfers/{outcome.id}",
        f"Transfer request {outcome.id} submitted with its letters; the ISO decides before "
        f"{outcome.effective_date:%d %b %Y}.",
    )


@router.post("/transfers/apply-due")
def apply_due(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """The ISO switches the assignments of the approved transfers whose date has come."""
    authorize(viewer.principal, Action.APPROVE_TRANSFER)
    today = MarketCalendar(parameters).trade_date_of(clock.now())
    done = transfers.apply_due_transfers(session, today, clock=clock)
    session.commit()
    if not done:
        return see_other(request, "/transfers", f"No approved transfer is due on {today:%d %b %Y}.")
    names = ", ".join(
        f"{t.id} ({', '.join(item.resource.resource_id for item in t.items)} to {t.to_scid.code})"
        for t in done
    )
    return see_other(request, "/transfers", f"Transfers applied: {names}.")


def _transfer_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    transfer_id: int,
    *,
    problem: Problem | None = None,
) -> Response:
    transfer = transfers.get_transfer(session, viewer.principal, transfer_id)
    decided_by = session.get(Person, transfer.decided_by_id) if transfer.decided_by_id else None
    context: dict[str, Any] = {
        "transfer": transfer,
        "slot_titles": SLOT_TITLES,
        "missing": transfers.missing_slots(transfer),
        "decided_by": decided_by,
        "may_decide": viewer.may(Action.APPROVE_TRANSFER)
        and transfer.status == TransferStatus.SUBMITTED,
        "problem": problem,
    }
    return render(
        request,
        "transfer.html",
        context,
        viewer=viewer,
        status_code=problem.status_code if problem else 200,
    )


@router.get("/transfers/{transfer_id}")
def transfer_page(
    request: Request, transfer_id: int, viewer: ViewerDep, session: SessionDep
) -> Response:
    """One transfer request, to the ISO and its two parties only."""
    return _transfer_page(request, session, viewer, transfer_id)


@router.get("/transfers/{transfer_id}/documents/{slot}")
def download_letter(
    transfer_id: int, slot: TransferDocumentSlot, viewer: ViewerDep, session: SessionDep
) -> Response:
    """The PDF in one document slot of a transfer."""
    document = transfer_documents.transfer_document(session, viewer.principal, transfer_id, slot)
    return download(document.content, document.content_type, document.filename)


def _decide(
    request: Request,
    session: Session,
    viewer: Viewer,
    transfer_id: int,
    work: Callable[[], object],
    notice: str,
) -> Response:
    outcome = attempt(session, work)
    if isinstance(outcome, Problem):
        return _transfer_page(request, session, viewer, transfer_id, problem=outcome)
    return see_other(request, f"/transfers/{transfer_id}", notice)


@router.post("/transfers/{transfer_id}/approve")
def approve(
    request: Request,
    transfer_id: int,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """The ISO approves a transfer whose documents are complete."""
    calendar = MarketCalendar(parameters)
    return _decide(
        request,
        session,
        viewer,
        transfer_id,
        lambda: transfers.approve_transfer(
            session, viewer.principal, transfer_id, clock=clock, calendar=calendar
        ),
        "Transfer approved.",
    )


@router.post("/transfers/{transfer_id}/reject")
def reject(
    request: Request,
    transfer_id: int,
    viewer: ViewerDep,
    session: SessionDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """The ISO rejects a transfer, with its reason."""
    return _decide(
        request,
        session,
        viewer,
        transfer_id,
        lambda: transfers.reject_transfer(
            session, viewer.principal, transfer_id, text(form, "reason"), clock=clock
        ),
        "Transfer rejected.",
    )
