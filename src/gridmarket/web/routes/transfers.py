"""Resource transfers: the queue, one request with its letters, the ISO's decision."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from gridmarket.access.models import Person
from gridmarket.access.policy import Action
from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep
from gridmarket.calendar import MarketCalendar
from gridmarket.resources import transfer_documents, transfers
from gridmarket.resources.models import TransferDocumentSlot, TransferStatus
from gridmarket.resources.transfer_rules import SLOT_TITLES
from gridmarket.web.csrf import checked_form
from gridmarket.web.forms import Problem, attempt, text
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
        },
        viewer=viewer,
    )


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
