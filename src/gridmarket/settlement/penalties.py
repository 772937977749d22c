"""The daily late-payment penalty job (charge code 5024).

For each calendar day D after an invoice's due date, the invoice accrues

```
accrual(D) = late_payment_daily_rate × overdue amount at the start of D (PT)
```

where the overdue amount is the invoice total less the payments applied to it
that were received before D. So a payment received on the due date costs
nothing and one received *n* days after the due date costs *n* days. Each
accrual is exact (a rate of 4 decimal places times cents is exact to 6); the
next invoice bills the sum of an invoice's accruals rounded half-even to cents
once (see :mod:`gridmarket.settlement.invoicing`). One accrual per invoice and
day: running the job again for a day adds nothing.

Example::

    run = run_penalties(session, date(2020, 9, 24), parameters=params, clock=clock)
    [(a.invoice_id, a.overdue_usd, a.amount_usd) for a in run.accruals]
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.credit.money import ZERO
from gridmarket.settlement.billing_ledger import LATE_PAYMENT_PENALTY
from gridmarket.settlement.billing_models import (
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PenaltyAccrual,
)
from gridmarket.settlement.payments import invoice_status

MICRO = Decimal("0.000001")


@dataclass(frozen=True)
class PenaltyRun:
    """The accruals one day's job made (none when already run)."""

    day: date
    accruals: list[PenaltyAccrual]

    @property
    def total_usd(self) -> Decimal:
        return sum((a.amount_usd for a in self.accruals), Decimal(0))


def daily_accrual(overdue_usd: Decimal, daily_rate: Decimal) -> Decimal:
    """One day's penalty on ``overdue_usd``: rate × amount to 6 places (exact for 4-place rates).

    Example::

        >>> daily_accrual(Decimal("10000.00"), Decimal("0.0005"))
        Decimal('5.000000')
        >>> daily_accrual(Decimal("1234.57"), Decimal("0.0005"))
        Decimal('0.617285')
    """
    return (overdue_usd * daily_rate).quantize(MICRO, rounding=ROUND_HALF_EVEN)


def overdue_at_start_of(session: Session, invoices: list[Invoice], day: date,
                        calendar: MarketCalendar) -> dict[int, Decimal]:
    """Each invoice's total less the payments applied to it that were received before ``day``."""
    start = calendar.trade_day_start_utc(day)
    paid: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for invoice_id, amount in session.execute(
            select(PaymentAllocation.invoice_id, PaymentAllocation.amount_usd)
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .where(PaymentAllocation.invoice_id.in_([i.id for i in invoices]),
                   Payment.received_at < start)):
        paid[invoice_id] += amount
    return {i.id: i.total_usd - paid[i.id] for i in invoices}


def run_penalties(session: Session, day: date, *, parameters: MarketParameters, clock: Clock,
                  actor: Principal | None = None) -> PenaltyRun:
    """Accrue day ``day``'s penalty on every invoice overdue at its start; mark them OVERDUE."""
    if actor is not None:
        authorize(actor, Action.MANAGE_BILLING)
    calendar = MarketCalendar(parameters)
    rate = parameters.settlement.late_payment_daily_rate
    paid_late = select(PaymentAllocation.invoice_id).join(
        Payment, Payment.id == PaymentAllocation.payment_id).where(
        Payment.received_at >= calendar.trade_day_start_utc(day))
    invoices = list(session.scalars(
        select(Invoice).where(Invoice.due_date < day, Invoice.total_usd > 0,
                              or_(Invoice.status != InvoiceStatus.PAID,
                                  Invoice.id.in_(paid_late)))
        .order_by(Invoice.id)))
    done = set(session.scalars(select(PenaltyAccrual.invoice_id).where(
        PenaltyAccrual.accrual_date == day)))
    overdue = overdue_at_start_of(session, invoices, day, calendar)
    accruals = []
    for invoice in invoices:
        amount = overdue[invoice.id]
        if invoice.id in done or amount <= 0:
            continue
        accrual = PenaltyAccrual(invoice_id=invoice.id, accrual_date=day,
                                 charge_code=LATE_PAYMENT_PENALTY, overdue_usd=amount,
                                 daily_rate=rate, amount_usd=daily_accrual(amount, rate),
                                 created_at=clock.now())
        session.add(accrual)
        accruals.append(accrual)
        invoice.status = invoice_status(invoice, day)
    session.flush()
    record_audit(session, actor=actor, action="billing.penalty_run", object_type="penalty_day",
                 object_id=day.isoformat(), clock=clock,
                 details={"accruals": {str(a.invoice_id): str(a.amount_usd) for a in accruals}})
    return PenaltyRun(day, accruals)


def accrued_penalties(session: Session, invoice_id: int) -> Decimal:
    """Σ of an invoice's accruals, exact (not yet rounded).

    Example::

        accrued_penalties(session, 3)   # Decimal('15.432125')
    """
    amounts = session.scalars(select(PenaltyAccrual.amount_usd).where(
        PenaltyAccrual.invoice_id == invoice_id))
    return sum((Decimal(a) for a in amounts), Decimal(0))
