"""Billing: invoices (list, detail, CSV, PDF), the invoice and penalty jobs, payments, disputes.

Thin: rules live in :mod:`gridmarket.settlement.invoicing`, ``payments``,
``penalties``, ``disputes`` and ``invoice_views``. Importing this module
registers billing's EAL providers and standing checks
(:mod:`gridmarket.settlement.billing_credit`).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel

from gridmarket.access.policy import Action
from gridmarket.access.principal import Principal
from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep, require
from gridmarket.dates import IsoDate
from gridmarket.participants.models import Document
from gridmarket.resources.uploads import UploadedFile
from gridmarket.settlement import billing_credit as _billing_credit  # noqa: F401 - registers
from gridmarket.settlement import disputes, invoice_documents, invoice_views
from gridmarket.settlement.billing_models import Dispute, Invoice
from gridmarket.settlement.invoicing import invoice_payments, run_invoices
from gridmarket.settlement.payments import record_payment
from gridmarket.settlement.penalties import run_penalties

router = APIRouter(prefix="/api/v1/billing", tags=["billing"])

Viewer = Annotated[Principal, Depends(require(Action.VIEW_INVOICES))]
Manager = Annotated[Principal, Depends(require(Action.MANAGE_BILLING))]
Disputer = Annotated[Principal, Depends(require(Action.SUBMIT_DISPUTE))]
Reviewer = Annotated[Principal, Depends(require(Action.REVIEW_DISPUTE))]


class InvoiceOut(BaseModel):
    id: int
    scheduling_coordinator_id: int
    invoice_date: date
    due_date: date
    total_usd: Decimal
    paid_usd: Decimal
    outstanding_usd: Decimal
    status: str


class InvoiceLineOut(BaseModel):
    id: int
    kind: str
    charge_code: str
    statement_id: int | None
    account: str | None
    trade_date: date | None
    statement_version: int | None
    statement_total_usd: Decimal | None
    previously_invoiced_usd: Decimal
    penalty_invoice_id: int | None
    amount_usd: Decimal
    description: str


class AppliedPaymentOut(BaseModel):
    payment_id: int
    reference: str
    kind: str
    received_at: datetime
    amount_applied_usd: Decimal


class InvoiceDetailOut(InvoiceOut):
    lines: list[InvoiceLineOut]
    payments: list[AppliedPaymentOut]


class InvoiceRunIn(BaseModel):
    invoice_date: IsoDate


class InvoiceRunOut(BaseModel):
    invoice_date: date
    created: int
    invoices: list[InvoiceOut]


class PenaltyRunIn(BaseModel):
    day: IsoDate


class AccrualOut(BaseModel):
    invoice_id: int
    accrual_date: date
    overdue_usd: Decimal
    daily_rate: Decimal
    amount_usd: Decimal


class PenaltyRunOut(BaseModel):
    day: date
    accruals: list[AccrualOut]


class PaymentIn(BaseModel):
    coordinator_id: int
    amount_usd: Decimal
    received_at: datetime
    reference: str


class AllocationOut(BaseModel):
    invoice_id: int
    amount_usd: Decimal


class PaymentOut(BaseModel):
    id: int
    scheduling_coordinator_id: int
    amount_usd: Decimal
    received_at: datetime
    reference: str
    allocations: list[AllocationOut]
    credit_balance_usd: Decimal


class DisputeOut(BaseModel):
    id: int
    statement_id: int
    account: str
    trade_date: date
    hours: list[int]
    charge_code: str
    amount_claimed_usd: Decimal
    reason: str
    evidence_document_id: int
    status: str
    submitted_at: datetime
    decided_at: datetime | None
    decision_amount_usd: Decimal | None
    decision_reason: str | None


class DecisionIn(BaseModel):
    status: Literal["ACCEPTED", "PARTIALLY_ACCEPTED", "REJECTED"]
    amount_usd: Decimal | None = None
    reason: str = ""


def _invoice(invoice: Invoice) -> InvoiceOut:
    return InvoiceOut(id=invoice.id, scheduling_coordinator_id=invoice.scheduling_coordinator_id,
                      invoice_date=invoice.invoice_date, due_date=invoice.due_date,
                      total_usd=invoice.total_usd, paid_usd=invoice.paid_usd,
                      outstanding_usd=invoice.outstanding_usd, status=invoice.status)


def _dispute(dispute: Dispute) -> DisputeOut:
    return DisputeOut(
        id=dispute.id, statement_id=dispute.statement_id, account=dispute.account,
        trade_date=dispute.trade_date, hours=json.loads(dispute.hours_json),
        charge_code=dispute.charge_code, amount_claimed_usd=dispute.amount_claimed_usd,
        reason=dispute.reason, evidence_document_id=dispute.evidence_document_id,
        status=dispute.status, submitted_at=dispute.submitted_at, decided_at=dispute.decided_at,
        decision_amount_usd=dispute.decision_amount_usd, decision_reason=dispute.decision_reason)


# --- invoices --------------------------------------------------------------------------


@router.get("/invoices", response_model=list[InvoiceOut])
def list_invoices(session: SessionDep, principal: Viewer, coordinator_id: int | None = None,
                  status: str | None = None) -> list[InvoiceOut]:
    """Invoices the caller may see (an SC: its own), newest first."""
    return [_invoice(i) for i in invoice_views.visible_invoices(
        session, principal, coordinator_id=coordinator_id, status=status)]


@router.get("/invoices/{invoice_id}", response_model=InvoiceDetailOut)
def get_invoice(invoice_id: int, session: SessionDep, principal: Viewer) -> InvoiceDetailOut:
    """An invoice with its lines and the payments applied to it; another SC's → 404."""
    invoice = invoice_views.visible_invoice(session, principal, invoice_id)
    return InvoiceDetailOut(
        **_invoice(invoice).model_dump(),
        lines=[InvoiceLineOut.model_validate(line, from_attributes=True)
               for line in invoice.lines],
        payments=[AppliedPaymentOut(payment_id=p.id, reference=p.reference, kind=p.kind,
                                    received_at=p.received_at, amount_applied_usd=amount)
                  for p, amount in invoice_payments(session, invoice.id)])


@router.get("/invoices/{invoice_id}/csv", response_class=PlainTextResponse)
def invoice_csv(invoice_id: int, session: SessionDep, principal: Viewer) -> Response:
    """The invoice's lines as CSV."""
    invoice = invoice_views.visible_invoice(session, principal, invoice_id)
    name = f"invoice_{invoice.id}_{invoice.invoice_date}.csv"
    return Response(invoice_documents.invoice_csv(invoice), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/invoices/{invoice_id}/pdf")
def invoice_pdf(invoice_id: int, session: SessionDep, principal: Viewer) -> Response:
    """The invoice as PDF."""
    invoice = invoice_views.visible_invoice(session, principal, invoice_id)
    name = f"invoice_{invoice.id}_{invoice.invoice_date}.pdf"
    return Response(invoice_documents.invoice_pdf(session, invoice),
                    media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/invoice-runs", response_model=InvoiceRunOut, status_code=201)
def invoice_run(body: InvoiceRunIn, session: SessionDep, principal: Manager,
                parameters: ParametersDep, clock: ClockDep) -> InvoiceRunOut:
    """Issue the invoices of an invoice date (ISO); running it again changes nothing."""
    run = run_invoices(session, body.invoice_date, parameters=parameters, clock=clock,
                       actor=principal)
    out = InvoiceRunOut(invoice_date=run.invoice_date, created=run.created,
                        invoices=[_invoice(i) for i in run.invoices])
    session.commit()
    return out


@router.post("/penalty-runs", response_model=PenaltyRunOut, status_code=201)
def penalty_run(body: PenaltyRunIn, session: SessionDep, principal: Manager,
                parameters: ParametersDep, clock: ClockDep) -> PenaltyRunOut:
    """Accrue a day's late-payment penalties (ISO); once per invoice and day."""
    run = run_penalties(session, body.day, parameters=parameters, clock=clock, actor=principal)
    out = PenaltyRunOut(day=run.day, accruals=[
        AccrualOut.model_validate(a, from_attributes=True) for a in run.accruals])
    session.commit()
    return out


@router.post("/payments", response_model=PaymentOut, status_code=201)
def payment(body: PaymentIn, session: SessionDep, principal: Manager,
            parameters: ParametersDep, clock: ClockDep) -> PaymentOut:
    """Record a payment received (ISO); applied oldest invoice first, the rest kept as credit."""
    result = record_payment(session, body.coordinator_id, body.amount_usd, body.received_at,
                            body.reference, parameters=parameters, clock=clock, actor=principal)
    paid = result.payment
    out = PaymentOut(id=paid.id, scheduling_coordinator_id=paid.scheduling_coordinator_id,
                     amount_usd=paid.amount_usd, received_at=paid.received_at,
                     reference=paid.reference, credit_balance_usd=result.credit_balance_usd,
                     allocations=[AllocationOut(invoice_id=a.invoice_id, amount_usd=a.amount_usd)
                                  for a in result.allocations])
    session.commit()
    return out


# --- disputes --------------------------------------------------------------------------


@router.get("/disputes", response_model=list[DisputeOut])
def list_disputes(session: SessionDep, principal: Viewer,
                  status: str | None = None) -> list[DisputeOut]:
    """Disputes the caller may see (an SC: its own SCIDs'), newest first."""
    return [_dispute(d) for d in disputes.visible_disputes(session, principal, status=status)]


@router.post("/disputes", response_model=DisputeOut, status_code=201)
async def submit_dispute(
    session: SessionDep, principal: Disputer, parameters: ParametersDep, clock: ClockDep,
    statement_id: Annotated[int, Form()], hours: Annotated[str, Form()],
    charge_code: Annotated[str, Form()], amount_claimed_usd: Annotated[Decimal, Form()],
    reason: Annotated[str, Form()], evidence: Annotated[UploadFile, File()],
    trade_date: Annotated[IsoDate | None, Form()] = None,
) -> DisputeOut:
    """Dispute a recalculation statement of one's own SCID within 22 business days.

    ``hours``: hours ending, comma-separated (``14,15``); ``evidence``: a file.
    """
    try:
        hour_list = [int(h) for h in hours.replace(" ", "").split(",") if h]
    except ValueError:
        hour_list = [-1]
    content = await evidence.read(parameters.access.upload_limit_bytes + 1)
    dispute = disputes.submit_dispute(
        session, principal, disputes.DisputeRequest(
            statement_id=statement_id, hours=hour_list, charge_code=charge_code,
            amount_claimed_usd=amount_claimed_usd, reason=reason, trade_date=trade_date),
        evidence=UploadedFile(evidence.filename or "", content, evidence.content_type or ""),
        parameters=parameters, clock=clock)
    out = _dispute(dispute)
    session.commit()
    return out


@router.get("/disputes/{dispute_id}", response_model=DisputeOut)
def get_dispute(dispute_id: int, session: SessionDep, principal: Viewer) -> DisputeOut:
    """A dispute; another SC's → 404."""
    return _dispute(disputes.visible_dispute(session, principal, dispute_id))


@router.get("/disputes/{dispute_id}/evidence")
def dispute_evidence(dispute_id: int, session: SessionDep, principal: Viewer) -> Response:
    """The evidence document of a dispute."""
    dispute = disputes.visible_dispute(session, principal, dispute_id)
    document = session.get(Document, dispute.evidence_document_id)
    assert document is not None
    return Response(document.content, media_type=document.content_type,
                    headers={"Content-Disposition":
                             f'attachment; filename="{document.filename}"'})


@router.post("/disputes/{dispute_id}/decision", response_model=DisputeOut)
def decide(dispute_id: int, body: DecisionIn, session: SessionDep, principal: Reviewer,
           clock: ClockDep) -> DisputeOut:
    """The ISO's decision: accept, accept in part (amount and reasons) or reject (reasons)."""
    dispute = disputes.decide_dispute(
        session, principal, dispute_id,
        disputes.DisputeDecision(body.status, body.amount_usd, body.reason), clock=clock)
    out = _dispute(dispute)
    session.commit()
    return out
