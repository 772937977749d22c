"""Invoice pages: an SC's invoices, one invoice with its lines, payments and penalty.

ISO billing staff see every SC's invoices and record payments received
(:func:`gridmarket.settlement.payments.record_payment`, applied to the SC's
oldest unpaid invoice first).
"""

from __future__ import annotations

from typing import Annotated, Any

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
from gridmarket.participants.queries import coordinators_visible_to
from gridmarket.settlement.billing_models import InvoiceStatus
from gridmarket.settlement.invoice_views import invoice_detail, invoice_rows, visible_invoice
from gridmarket.settlement.payments import describe_payment, record_payment
from gridmarket.web.csrf import checked_form
from gridmarket.web.forms import (
    Problem,
    attempt,
    parse_decimal,
    parse_int,
    parse_market_time,
    text,
)
from gridmarket.web.rendering import render, see_other
from gridmarket.web.viewer import Viewer, ViewerDep

router = APIRouter(include_in_schema=False)
CheckedForm = Annotated[FormData, Depends(checked_form)]


@router.get("/invoices")
def invoices_page(request: Request, viewer: ViewerDep, session: SessionDep,
                  parameters: ParametersDep, clock: ClockDep, coordinator_id: str = "",
                  status: str = "") -> Response:
    """The invoices the viewer may see, newest first, with their status today.

    The filters come from a form whose "any" choices send empty values.
    """
    today = MarketCalendar(parameters).trade_date_of(clock.now())
    chosen_status = InvoiceStatus(status) if status in InvoiceStatus.__members__ else None
    chosen_sc = parse_int(coordinator_id, "coordinator_id") if coordinator_id else None
    rows = invoice_rows(session, viewer.principal, today=today, coordinator_id=chosen_sc,
                        status=chosen_status)
    coordinators = coordinators_visible_to(session, viewer.principal) if viewer.is_iso else []
    return render(request, "invoices.html", {
        "rows": rows, "coordinators": coordinators, "coordinator_id": chosen_sc,
        "status": chosen_status, "statuses": list(InvoiceStatus), "today": today,
    }, viewer=viewer)


def _invoice_page(request: Request, session: Session, viewer: Viewer,
                  parameters: MarketParameters, clock: Clock, invoice_id: int, *,
                  problem: Problem | None = None,
                  values: dict[str, str] | None = None) -> Response:
    calendar = MarketCalendar(parameters)
    detail = invoice_detail(session, viewer.principal, invoice_id,
                            today=calendar.trade_date_of(clock.now()))
    now = clock.now().astimezone(calendar.timezone)
    context: dict[str, Any] = {
        "detail": detail, "invoice": detail.row.invoice,
        "may_record_payment": viewer.may(Action.MANAGE_BILLING),
        "errors": {problem.field or "form": problem.message} if problem else {},
        "values": values or {"amount_usd": f"{detail.row.invoice.outstanding_usd:.2f}",
                             "received_at": now.strftime("%Y-%m-%dT%H:%M"), "reference": ""},
    }
    return render(request, "invoice.html", context, viewer=viewer,
                  status_code=problem.status_code if problem else 200)


@router.get("/invoices/{invoice_id}")
def invoice_page(request: Request, invoice_id: int, viewer: ViewerDep, session: SessionDep,
                 parameters: ParametersDep, clock: ClockDep) -> Response:
    """One invoice: its lines, the payments applied to it, and any late-payment penalty."""
    return _invoice_page(request, session, viewer, parameters, clock, invoice_id)


@router.post("/invoices/{invoice_id}/payments")
def record_invoice_payment(request: Request, invoice_id: int, viewer: ViewerDep,
                           session: SessionDep, parameters: ParametersDep, clock: ClockDep,
                           form: CheckedForm) -> Response:
    """Record money received from the invoice's SC (ISO); it pays the oldest invoice first."""
    authorize(viewer.principal, Action.MANAGE_BILLING)
    invoice = visible_invoice(session, viewer.principal, invoice_id)
    values = {name: text(form, name) for name in ("amount_usd", "received_at", "reference")}
    timezone = MarketCalendar(parameters).timezone
    outcome = attempt(session, lambda: record_payment(
        session, invoice.scheduling_coordinator_id,
        parse_decimal(values["amount_usd"], "amount_usd"),
        parse_market_time(values["received_at"], "received_at", timezone),
        values["reference"], parameters=parameters, clock=clock, actor=viewer.principal))
    if isinstance(outcome, Problem):
        return _invoice_page(request, session, viewer, parameters, clock, invoice_id,
                             problem=outcome, values=values)
    return see_other(request, f"/invoices/{invoice_id}",
                     f"Recorded the {describe_payment(outcome)}.")
