"""Reading invoices with the confidentiality rules of rulebook §5.

An SC's people see their own SC's invoices; another SC's invoice is answered
as if it did not exist (404, audited by the API edge). ISO staff see all.

Example::

    invoices = visible_invoices(session, principal)
    invoice = visible_invoice(session, principal, 3)
    detail = invoice_detail(session, principal, 3, today=date(2020, 9, 28))
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmarket.access.errors import NotVisible
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.participants.models import SchedulingCoordinator
from gridmarket.settlement.billing_models import (
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PenaltyAccrual,
)
from gridmarket.settlement.invoicing import PENALTY_LINE, invoice_payments
from gridmarket.settlement.payments import invoice_status


def visible_invoice(session: Session, principal: Principal, invoice_id: int) -> Invoice:
    """Invoice ``invoice_id`` if the caller may see it; else 404 (audited)."""
    authorize(principal, Action.VIEW_INVOICES)
    row = session.execute(
        select(Invoice, SchedulingCoordinator.organisation_id)
        .join(SchedulingCoordinator,
              SchedulingCoordinator.id == Invoice.scheduling_coordinator_id)
        .where(Invoice.id == invoice_id)).one_or_none()
    if row is None or not (principal.is_iso or row[1] == principal.organisation_id):
        raise NotVisible(f"no invoice {invoice_id} visible to {principal.email}",
                         actor=principal, action=Action.VIEW_INVOICES.value,
                         object_type="billing_invoice", object_id=str(invoice_id))
    return row[0]


def visible_invoices(session: Session, principal: Principal, *,
                     coordinator_id: int | None = None, status: str | None = None,
                     limit: int = 500) -> list[Invoice]:
    """Invoices the caller may see (an SC: its own), newest first."""
    authorize(principal, Action.VIEW_INVOICES)
    query = select(Invoice).join(
        SchedulingCoordinator, SchedulingCoordinator.id == Invoice.scheduling_coordinator_id)
    if not principal.is_iso:
        query = query.where(SchedulingCoordinator.organisation_id == principal.organisation_id)
    if coordinator_id is not None:
        query = query.where(Invoice.scheduling_coordinator_id == coordinator_id)
    if status is not None:
        query = query.where(Invoice.status == status)
    return list(session.scalars(query.order_by(Invoice.invoice_date.desc(), Invoice.id.desc())
                                .limit(limit)))


@dataclass(frozen=True)
class InvoiceRow:
    """An invoice as a list shows it: its SC, the trade dates it bills, its status today."""

    invoice: Invoice
    legal_name: str
    first_trade_date: date | None
    last_trade_date: date | None
    status: InvoiceStatus


def invoice_rows(session: Session, principal: Principal, *, today: date,
                 coordinator_id: int | None = None,
                 status: InvoiceStatus | None = None) -> list[InvoiceRow]:
    """The invoices the caller may see, newest first, each with its status as of ``today``.

    The stored status is brought up to date (an unpaid invoice past its due date
    is OVERDUE even before the penalty job has run); ``status`` filters on that.

    Example::

        [(r.invoice.id, r.status) for r in invoice_rows(session, analyst, today=date(2020, 9, 22))]
    """
    rows = _rows(session, visible_invoices(session, principal, coordinator_id=coordinator_id),
                 today)
    return [r for r in rows if status is None or r.status is status]


def _rows(session: Session, invoices: list[Invoice], today: date) -> list[InvoiceRow]:
    names = dict(session.execute(
        select(SchedulingCoordinator.id, SchedulingCoordinator.legal_name).where(
            SchedulingCoordinator.id.in_({i.scheduling_coordinator_id for i in invoices}))).all())
    periods = {invoice_id: (first, last) for invoice_id, first, last in session.execute(
        select(InvoiceLine.invoice_id, func.min(InvoiceLine.trade_date),
               func.max(InvoiceLine.trade_date))
        .where(InvoiceLine.invoice_id.in_([i.id for i in invoices]))
        .group_by(InvoiceLine.invoice_id))}
    return [InvoiceRow(i, names[i.scheduling_coordinator_id], *periods.get(i.id, (None, None)),
                       invoice_status(i, today)) for i in invoices]


@dataclass(frozen=True)
class InvoiceDetail:
    """An invoice with everything its page shows."""

    row: InvoiceRow
    lines: list[InvoiceLine]
    payments: list[tuple[Payment, Decimal]]
    """Payments applied to it, and how much of each."""
    accruals: list[PenaltyAccrual]
    """Late-payment penalty accrued on it, day by day (exact)."""
    penalty_billed: list[InvoiceLine]
    """Later invoices' lines billing that penalty (charge code 5024)."""

    @property
    def accrued_usd(self) -> Decimal:
        return sum((a.amount_usd for a in self.accruals), Decimal(0))


def invoice_detail(session: Session, principal: Principal, invoice_id: int, *,
                   today: date) -> InvoiceDetail:
    """Invoice ``invoice_id`` with its lines, payments and penalty; another SC's is 404.

    Example::

        detail = invoice_detail(session, analyst, 3, today=date(2020, 9, 28))
        detail.row.status, detail.accrued_usd, [l.invoice_id for l in detail.penalty_billed]
    """
    invoice = visible_invoice(session, principal, invoice_id)
    [row] = _rows(session, [invoice], today)
    accruals = session.scalars(select(PenaltyAccrual).where(
        PenaltyAccrual.invoice_id == invoice.id).order_by(PenaltyAccrual.accrual_date)).all()
    billed = session.scalars(select(InvoiceLine).where(
        InvoiceLine.penalty_invoice_id == invoice.id,
        InvoiceLine.kind == PENALTY_LINE).order_by(InvoiceLine.id)).all()
    return InvoiceDetail(row, list(invoice.lines), invoice_payments(session, invoice.id),
                         list(accruals), list(billed))
