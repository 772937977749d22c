"""Payments: record money received and apply it to invoices, oldest first.

A payment is applied to the SC's unpaid invoices in order of due date (then
invoice date, then id); what is left is kept as the SC's **credit balance**
and applied to the next invoices as they are issued. A net-negative invoice
(the ISO owes the SC) becomes such a credit too (a ``NET_CREDIT`` payment).
Each received payment posts ``ISO_CASH`` debit / ``AR:SC<id>`` credit, and
the SC's credit is recomputed (trigger ``PAYMENT``).

Invoice status: PAID when nothing is outstanding; OVERDUE when past its due
date with something outstanding; PARTIALLY_PAID when something was paid; else OPEN.

Example::

    result = record_payment(session, 7, Decimal("1500.00"),
                            datetime(2020, 9, 15, 17, tzinfo=UTC), "WIRE 0915",
                            parameters=params, clock=clock)
    result.credit_balance_usd   # what was not needed by open invoices
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.credit.eal import recompute_credit
from gridmarket.credit.models import EalTrigger
from gridmarket.credit.money import ZERO, require_cents, usd
from gridmarket.errors import Conflict, InvalidInput, NotFound
from gridmarket.participants.models import SchedulingCoordinator
from gridmarket.settlement.billing_ledger import ISO_CASH, Posting, post_entry, receivable_account
from gridmarket.settlement.billing_models import (
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
)

RECEIVED = "RECEIVED"
NET_CREDIT = "NET_CREDIT"


@dataclass(frozen=True)
class PaymentResult:
    """A recorded payment, what it paid, and the SC's credit balance after it."""

    payment: Payment
    allocations: list[PaymentAllocation]
    credit_balance_usd: Decimal


def invoice_status(invoice: Invoice, today: date) -> InvoiceStatus:
    """The status an invoice has on ``today`` from its total, payments and due date.

    Example::

        invoice_status(invoice, date(2020, 9, 22))   # InvoiceStatus.OVERDUE
    """
    if invoice.outstanding_usd == 0:
        return InvoiceStatus.PAID
    if today > invoice.due_date:
        return InvoiceStatus.OVERDUE
    if invoice.paid_usd > 0:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.OPEN


def _unallocated(session: Session, coordinator_id: int) -> list[tuple[Payment, Decimal]]:
    payments = session.scalars(
        select(Payment)
        .where(Payment.scheduling_coordinator_id == coordinator_id)
        .order_by(Payment.received_at, Payment.id)
    ).all()
    used: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for payment_id, amount in session.execute(
        select(PaymentAllocation.payment_id, PaymentAllocation.amount_usd).where(
            PaymentAllocation.payment_id.in_([p.id for p in payments])
        )
    ):
        used[payment_id] += amount
    return [(p, p.amount_usd - used[p.id]) for p in payments if p.amount_usd - used[p.id] > 0]


def credit_balance(session: Session, coordinator_id: int) -> Decimal:
    """Payments (and net credits) not yet applied to an invoice.

    Example::

        credit_balance(session, 7)   # Decimal('250.00')
    """
    return sum((left for _, left in _unallocated(session, coordinator_id)), ZERO).quantize(ZERO)


def open_invoices(session: Session, coordinator_id: int) -> list[Invoice]:
    """The SC's invoices with something outstanding, oldest first (the allocation order)."""
    invoices = session.scalars(
        select(Invoice)
        .where(
            Invoice.scheduling_coordinator_id == coordinator_id,
            Invoice.status != InvoiceStatus.PAID,
        )
        .order_by(Invoice.due_date, Invoice.invoice_date, Invoice.id)
    ).all()
    return [i for i in invoices if i.outstanding_usd > 0]


def allocate_credit(
    session: Session, coordinator_id: int, today: date, clock: Clock
) -> list[PaymentAllocation]:
    """Apply unapplied payments (oldest first) to open invoices (oldest first).

    Example::

        allocate_credit(session, 7, date(2020, 9, 15), clock)   # the allocations made
    """
    made: list[PaymentAllocation] = []
    credits = _unallocated(session, coordinator_id)
    for invoice in open_invoices(session, coordinator_id):
        while credits and invoice.outstanding_usd > 0:
            payment, left = credits[0]
            amount = min(left, invoice.outstanding_usd)
            allocation = PaymentAllocation(
                payment_id=payment.id,
                invoice_id=invoice.id,
                amount_usd=amount,
                allocated_at=clock.now(),
            )
            session.add(allocation)
            made.append(allocation)
            invoice.paid_usd += amount
            left -= amount
            credits[0] = (payment, left)
            if left == 0:
                credits.pop(0)
        invoice.status = invoice_status(invoice, today)
    session.flush()
    return made


def record_payment(
    session: Session,
    coordinator_id: int,
    amount_usd: Decimal,
    received_at: datetime,
    reference: str,
    *,
    parameters: MarketParameters,
    clock: Clock,
    actor: Principal | None = None,
) -> PaymentResult:
    """Record money received from an SC, post it, and apply it oldest invoice first.

    ``reference`` (the bank's) is unique per SC: recording it twice is refused.
    """
    if actor is not None:
        authorize(actor, Action.MANAGE_BILLING)
    if session.get(SchedulingCoordinator, coordinator_id) is None:
        raise NotFound(f"no scheduling coordinator {coordinator_id}", field="coordinator_id")
    amount = require_cents(amount_usd, field="amount_usd", allow_zero=False)
    reference = reference.strip()
    if not reference:
        raise InvalidInput("a payment needs the bank's reference", field="reference")
    duplicate = session.scalar(
        select(Payment.id).where(
            Payment.scheduling_coordinator_id == coordinator_id, Payment.reference == reference
        )
    )
    if duplicate is not None:
        raise Conflict(f"payment {reference!r} is already recorded (id {duplicate})",
                       field="reference")
    payment = Payment(
        scheduling_coordinator_id=coordinator_id,
        kind=RECEIVED,
        amount_usd=amount,
        received_at=received_at,
        reference=reference,
        recorded_at=clock.now(),
        recorded_by_person_id=actor.person_id if actor else None,
    )
    session.add(payment)
    session.flush()
    post_entry(
        session,
        kind="PAYMENT",
        description=f"payment {reference} from SC {coordinator_id}",
        payment_id=payment.id,
        postings=[
            Posting(ISO_CASH, "PAYMENT", amount),
            Posting(receivable_account(coordinator_id), "PAYMENT", -amount),
        ],
        clock=clock,
    )
    today = MarketCalendar(parameters).trade_date_of(clock.now())
    allocations = allocate_credit(session, coordinator_id, today, clock)
    balance = credit_balance(session, coordinator_id)
    # Credit account lock before the audit chain (the lock order of docs/credit.md).
    recompute_credit(session, coordinator_id, trigger=EalTrigger.PAYMENT, as_of=today,
                     parameters=parameters, clock=clock)
    record_audit(
        session,
        actor=actor,
        action="billing.payment",
        object_type="billing_payment",
        object_id=str(payment.id),
        details={
            "coordinator_id": coordinator_id,
            "amount_usd": str(amount),
            "reference": reference,
            "allocated": {str(a.invoice_id): str(a.amount_usd) for a in allocations},
            "credit_balance_usd": str(balance),
        },
        clock=clock,
    )
    return PaymentResult(payment, allocations, balance)


def describe_payment(result: PaymentResult) -> str:
    """One line for people: amount, invoices paid, credit left.

    Example::

        describe_payment(result)   # 'payment $1,500.00: invoice 3 $1,200.00; credit $300.00'
    """
    paid = ", ".join(f"invoice {a.invoice_id} {usd(a.amount_usd)}" for a in result.allocations)
    return (f"payment {usd(result.payment.amount_usd)}: {paid or 'no open invoice'}; "
            f"credit {usd(result.credit_balance_usd)}")
