"""The weekly invoice job: one invoice per SC and invoice date, for what is not yet invoiced.

On each invoice date (``MarketCalendar.next_invoice_date``: the configured
weekday, or the next business day), every SC gets one invoice (unique on SC
and date; running the job again returns the same invoices) with:

* a **statement line** per SCID and trade date whose latest statement
  published on or before the invoice date differs from what was already
  invoiced for that SCID and trade date: the line bills only the
  **difference** (a recalculation bills its change, an unchanged one nothing);
* a **penalty line** (charge code 5024) per overdue invoice with penalties
  accrued up to the invoice date and not billed yet: round-half-even to cents
  of all its accruals, less what earlier invoices billed.

Due date: ``MarketCalendar.invoice_due_date`` (5 business days). Each invoice
posts one balanced journal entry (``AR:SC<id>`` debit; the SCID or
``ISO_FEES`` credit). A net-negative invoice is the SC's credit, applied to
later invoices; any credit on hand is applied to the new invoice at once.

Example::

    run = run_invoices(session, date(2020, 9, 14), parameters=params, clock=clock)
    [(i.scheduling_coordinator_id, i.total_usd, i.due_date) for i in run.invoices]
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.credit.money import CENT, ZERO
from gridmarket.errors import InvalidInput
from gridmarket.participants.models import SchedulingCoordinator, Scid
from gridmarket.settlement import codes
from gridmarket.settlement.billing_ledger import (
    LATE_PAYMENT_PENALTY,
    Posting,
    post_entry,
    receivable_account,
)
from gridmarket.settlement.billing_models import (
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
    PenaltyAccrual,
)
from gridmarket.settlement.engine import round_cents
from gridmarket.settlement.models import SettlementStatement
from gridmarket.settlement.payments import NET_CREDIT, allocate_credit, invoice_status

STATEMENT_LINE = "STATEMENT"
PENALTY_LINE = "PENALTY"


@dataclass(frozen=True)
class InvoiceRun:
    """The invoices of one invoice date: the ones made now and those that existed."""

    invoice_date: date
    invoices: list[Invoice]
    created: int


@dataclass(frozen=True)
class PendingStatement:
    """The latest statement of an SCID and trade date, and what was invoiced for them so far."""

    statement: SettlementStatement
    invoiced_usd: Decimal

    @property
    def difference_usd(self) -> Decimal:
        return (self.statement.total_usd - self.invoiced_usd).quantize(CENT)


def scid_codes(session: Session, coordinator_id: int) -> list[str]:
    """The SCID codes of an SC."""
    return list(session.scalars(select(Scid.code).where(
        Scid.scheduling_coordinator_id == coordinator_id).order_by(Scid.code)))


def invoiced_by_statement_day(session: Session, accounts: list[str]
                              ) -> dict[tuple[str, date], Decimal]:
    """Σ statement lines invoiced per (SCID, trade date)."""
    totals: dict[tuple[str, date], Decimal] = defaultdict(lambda: ZERO)
    for account, day, amount in session.execute(
            select(InvoiceLine.account, InvoiceLine.trade_date, InvoiceLine.amount_usd).where(
                InvoiceLine.kind == STATEMENT_LINE, InvoiceLine.account.in_(accounts))):
        if account is not None and day is not None:
            totals[(account, day)] += amount
    return totals


def pending_statements(session: Session, coordinator_id: int, as_of: date | None = None
                       ) -> list[PendingStatement]:
    """Latest published statements (on or before ``as_of``) of the SC not fully invoiced.

    Example::

        [p.difference_usd for p in pending_statements(session, 7, date(2020, 9, 14))]
    """
    accounts = scid_codes(session, coordinator_id)
    if not accounts:
        return []
    query = select(SettlementStatement).where(
        SettlementStatement.account.in_(accounts),
        SettlementStatement.account_kind == "SC",
        SettlementStatement.is_published.is_(True))
    if as_of is not None:
        query = query.where(SettlementStatement.publication_date <= as_of)
    latest: dict[tuple[str, date], SettlementStatement] = {}
    for statement in session.scalars(query):
        key = (statement.account, statement.trade_date)
        if key not in latest or statement.version > latest[key].version:
            latest[key] = statement
    invoiced = invoiced_by_statement_day(session, accounts)
    pending = [PendingStatement(s, invoiced[key]) for key, s in sorted(latest.items())]
    return [p for p in pending if p.difference_usd != 0]


def _penalty_lines(session: Session, coordinator_id: int, invoice_date: date
                   ) -> list[InvoiceLine]:
    accrued: dict[int, Decimal] = defaultdict(lambda: Decimal(0))
    for invoice_id, amount in session.execute(
            select(PenaltyAccrual.invoice_id, PenaltyAccrual.amount_usd)
            .join(Invoice, Invoice.id == PenaltyAccrual.invoice_id)
            .where(Invoice.scheduling_coordinator_id == coordinator_id,
                   PenaltyAccrual.accrual_date < invoice_date)):
        accrued[invoice_id] += amount
    billed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for penalised, amount in session.execute(
            select(InvoiceLine.penalty_invoice_id, InvoiceLine.amount_usd).where(
                InvoiceLine.kind == PENALTY_LINE,
                InvoiceLine.penalty_invoice_id.in_(list(accrued)))):
        if penalised is not None:
            billed[penalised] += amount
    lines = []
    for invoice_id in sorted(accrued):
        before = billed[invoice_id].quantize(CENT)
        amount = round_cents(accrued[invoice_id]) - before
        if amount != 0:
            lines.append(InvoiceLine(
                kind=PENALTY_LINE, charge_code=LATE_PAYMENT_PENALTY,
                penalty_invoice_id=invoice_id, previously_invoiced_usd=before,
                amount_usd=amount,
                description=(f"late payment penalty on invoice {invoice_id}: "
                             f"round(Σ accrued {accrued[invoice_id].normalize():f}) − billed "
                             f"{before}")))
    return lines


def _statement_line(pending: PendingStatement) -> InvoiceLine:
    s = pending.statement
    total, invoiced = s.total_usd.quantize(CENT), pending.invoiced_usd.quantize(CENT)
    return InvoiceLine(
        kind=STATEMENT_LINE, charge_code=STATEMENT_LINE, statement_id=s.id, account=s.account,
        trade_date=s.trade_date, statement_version=s.version, statement_total_usd=total,
        previously_invoiced_usd=invoiced, amount_usd=pending.difference_usd,
        description=f"{s.account} {s.trade_date} {s.kind} v{s.version}: {total} − "
                    f"invoiced {invoiced}")


def invoice_coordinator(session: Session, coordinator: SchedulingCoordinator,
                        invoice_date: date, *, calendar: MarketCalendar,
                        clock: Clock) -> Invoice | None:
    """The SC's invoice of ``invoice_date``: the existing one, a new one, or None (nothing due)."""
    existing = session.scalar(select(Invoice).where(
        Invoice.scheduling_coordinator_id == coordinator.id,
        Invoice.invoice_date == invoice_date))
    if existing is not None:
        return existing
    lines = [_statement_line(p) for p in pending_statements(session, coordinator.id,
                                                             invoice_date)]
    lines += _penalty_lines(session, coordinator.id, invoice_date)
    if not lines:
        return None
    total = sum((line.amount_usd for line in lines), ZERO).quantize(CENT)
    invoice = Invoice(scheduling_coordinator_id=coordinator.id, invoice_date=invoice_date,
                      due_date=calendar.invoice_due_date(invoice_date), total_usd=total,
                      paid_usd=ZERO, status="OPEN", created_at=clock.now(), lines=lines)
    session.add(invoice)
    session.flush()
    receivable = receivable_account(coordinator.id)
    postings: list[Posting] = []
    for line in lines:
        postings.append(Posting(receivable, line.charge_code, line.amount_usd))
        credit = line.account if line.kind == STATEMENT_LINE else codes.ISO_FEES
        postings.append(Posting(credit or codes.ISO_FEES, line.charge_code, -line.amount_usd))
    post_entry(session, kind="INVOICE", invoice_id=invoice.id, postings=postings, clock=clock,
               description=f"invoice {invoice.id} SC {coordinator.id} {invoice_date}")
    if total < 0:
        session.add(Payment(
            scheduling_coordinator_id=coordinator.id, kind=NET_CREDIT, amount_usd=-total,
            received_at=clock.now(), reference=f"INVOICE {invoice.id} NET CREDIT",
            source_invoice_id=invoice.id, recorded_at=clock.now()))
        session.flush()
    today = calendar.trade_date_of(clock.now())
    invoice.status = invoice_status(invoice, today)
    allocate_credit(session, coordinator.id, today, clock)
    return invoice


def run_invoices(session: Session, invoice_date: date, *, parameters: MarketParameters,
                 clock: Clock, actor: Principal | None = None) -> InvoiceRun:
    """Issue the invoices of ``invoice_date`` for every SC; idempotent per (SC, date).

    Refused for a date that is not an invoice date (the error names the next one).
    """
    if actor is not None:
        authorize(actor, Action.MANAGE_BILLING)
    calendar = MarketCalendar(parameters)
    scheduled = calendar.next_invoice_date(invoice_date)
    if scheduled != invoice_date:
        raise InvalidInput(f"{invoice_date} is not an invoice date; the next one is {scheduled}",
                           field="invoice_date")
    before = set(session.scalars(select(Invoice.id).where(Invoice.invoice_date == invoice_date)))
    invoices = []
    for coordinator in session.scalars(select(SchedulingCoordinator)
                                       .order_by(SchedulingCoordinator.id)):
        invoice = invoice_coordinator(session, coordinator, invoice_date, calendar=calendar,
                                      clock=clock)
        if invoice is not None:
            invoices.append(invoice)
    created = [i for i in invoices if i.id not in before]
    record_audit(session, actor=actor, action="billing.invoice_run", object_type="invoice_date",
                 object_id=invoice_date.isoformat(), clock=clock,
                 details={"created": [i.id for i in created],
                          "existing": [i.id for i in invoices if i.id in before]})
    return InvoiceRun(invoice_date, invoices, len(created))


def invoice_payments(session: Session, invoice_id: int) -> list[tuple[Payment, Decimal]]:
    """The payments applied to an invoice and how much of each."""
    return [(payment, amount) for payment, amount in session.execute(
        select(Payment, PaymentAllocation.amount_usd)
        .join(PaymentAllocation, PaymentAllocation.payment_id == Payment.id)
        .where(PaymentAllocation.invoice_id == invoice_id)
        .order_by(PaymentAllocation.id))]
