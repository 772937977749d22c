"""Billing tables: invoices and their lines, payments and allocations, penalties, disputes.

* ``billing_invoice``: one invoice per SC and invoice date (unique), due date,
  total, amount paid (allocated) and status (OPEN, PARTIALLY_PAID, OVERDUE, PAID).
* ``billing_invoice_line``: what the invoice bills — a statement version
  (only the difference from what was already invoiced for that SCID and trade
  date) or a late-payment penalty (charge code 5024) on an overdue invoice.
* ``billing_payment`` / ``billing_payment_allocation``: money received (or
  the credit of a net-negative invoice) and how it was applied to invoices,
  oldest first; what is not applied is the SC's credit balance.
* ``billing_penalty_accrual``: one row per overdue invoice and calendar day:
  daily rate × overdue amount (exact; billed rounded to cents on the next invoice).
* ``billing_dispute`` / ``billing_dispute_adjustment``: a dispute of a
  recalculation statement and, once accepted, the adjustment that the next
  statement of the trade date carries (charge code ``DISPUTE_ADJ``).
* ``billing_journal_entry`` / ``billing_posting``: the double entry of invoices,
  penalties billed and payments; each entry's postings sum to zero.

Example::

    session.scalars(select(Invoice).where(Invoice.status == InvoiceStatus.OVERDUE))
"""

from __future__ import annotations

import enum
import json
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridmarket.db.base import Base, Money, UtcDateTime

if TYPE_CHECKING:
    from gridmarket.settlement.models import SettlementStatement


class InvoiceStatus(enum.StrEnum):
    OPEN = "OPEN"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    OVERDUE = "OVERDUE"
    PAID = "PAID"


class DisputeStatus(enum.StrEnum):
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    PARTIALLY_ACCEPTED = "PARTIALLY_ACCEPTED"


class Invoice(Base):
    __tablename__ = "billing_invoice"
    __table_args__ = (UniqueConstraint("scheduling_coordinator_id", "invoice_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scheduling_coordinator_id: Mapped[int] = mapped_column(ForeignKey("scheduling_coordinator.id"))
    invoice_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    total_usd: Mapped[Decimal] = mapped_column(Money())
    """Positive: the SC pays; negative: the ISO owes the SC (kept as the SC's credit)."""
    paid_usd: Mapped[Decimal] = mapped_column(Money())
    """Payments allocated to this invoice so far."""
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.id", foreign_keys="InvoiceLine.invoice_id"
    )

    @property
    def outstanding_usd(self) -> Decimal:
        """What is still to pay (never below zero)."""
        return max(Decimal("0.00"), self.total_usd - self.paid_usd)


class InvoiceLine(Base):
    __tablename__ = "billing_invoice_line"
    __table_args__ = (Index("ix_billing_invoice_line_statement", "account", "trade_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("billing_invoice.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    """``STATEMENT`` or ``PENALTY``."""
    charge_code: Mapped[str] = mapped_column(String(16))
    """``STATEMENT`` for a statement line; ``5024`` for a late-payment penalty."""
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("settlement_statement.id"))
    account: Mapped[str | None] = mapped_column(String(16))
    trade_date: Mapped[date | None] = mapped_column(Date)
    statement_version: Mapped[int | None] = mapped_column(Integer)
    statement_total_usd: Mapped[Decimal | None] = mapped_column(Money())
    previously_invoiced_usd: Mapped[Decimal] = mapped_column(Money())
    penalty_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("billing_invoice.id"))
    """For a penalty line: the overdue invoice it is charged on."""
    amount_usd: Mapped[Decimal] = mapped_column(Money())
    description: Mapped[str] = mapped_column(String(200))

    invoice: Mapped[Invoice] = relationship(back_populates="lines", foreign_keys=[invoice_id])


class Payment(Base):
    __tablename__ = "billing_payment"
    __table_args__ = (UniqueConstraint("scheduling_coordinator_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scheduling_coordinator_id: Mapped[int] = mapped_column(ForeignKey("scheduling_coordinator.id"))
    kind: Mapped[str] = mapped_column(String(12))
    """``RECEIVED`` (money in) or ``NET_CREDIT`` (a net-negative invoice kept as credit)."""
    amount_usd: Mapped[Decimal] = mapped_column(Money())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reference: Mapped[str] = mapped_column(String(100))
    source_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("billing_invoice.id"))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class PaymentAllocation(Base):
    __tablename__ = "billing_payment_allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("billing_payment.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("billing_invoice.id"), index=True)
    amount_usd: Mapped[Decimal] = mapped_column(Money())
    allocated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PenaltyAccrual(Base):
    __tablename__ = "billing_penalty_accrual"
    __table_args__ = (UniqueConstraint("invoice_id", "accrual_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("billing_invoice.id"))
    accrual_date: Mapped[date] = mapped_column(Date)
    charge_code: Mapped[str] = mapped_column(String(16))
    overdue_usd: Mapped[Decimal] = mapped_column(Money())
    daily_rate: Mapped[Decimal] = mapped_column(Numeric(12, 8, asdecimal=True))
    amount_usd: Mapped[Decimal] = mapped_column(Money())
    """daily rate × overdue amount, exact (6 decimal places for a rate of 4)."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Dispute(Base):
    __tablename__ = "billing_dispute"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("settlement_statement.id"), index=True)
    account: Mapped[str] = mapped_column(String(16))
    scheduling_coordinator_id: Mapped[int] = mapped_column(ForeignKey("scheduling_coordinator.id"))
    trade_date: Mapped[date] = mapped_column(Date)
    hours_json: Mapped[str] = mapped_column(Text)
    """Hours ending disputed, e.g. ``[14, 15]``."""
    charge_code: Mapped[str] = mapped_column(String(16))
    amount_claimed_usd: Mapped[Decimal] = mapped_column(Money())
    """What the SC says it is owed (positive)."""
    reason: Mapped[str] = mapped_column(Text)
    evidence_document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    status: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    submitted_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decided_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decision_amount_usd: Mapped[Decimal | None] = mapped_column(Money())
    decision_reason: Mapped[str | None] = mapped_column(Text)

    statement: Mapped[SettlementStatement] = relationship(lazy="joined", viewonly=True)
    """The statement version disputed."""

    @property
    def hours(self) -> list[int]:
        """Hours ending disputed."""
        hours: list[int] = json.loads(self.hours_json)
        return hours


class DisputeAdjustment(Base):
    __tablename__ = "billing_dispute_adjustment"
    __table_args__ = (Index("ix_billing_dispute_adjustment_day", "trade_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("billing_dispute.id"), unique=True)
    account: Mapped[str] = mapped_column(String(16))
    trade_date: Mapped[date] = mapped_column(Date)
    amount_usd: Mapped[Decimal] = mapped_column(Money())
    """Signed as in settlement: negative, the SC is paid the accepted amount."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    applied_statement_id: Mapped[int | None] = mapped_column(
        ForeignKey("settlement_statement.id")
    )
    """The first statement version that carries it (every later version does too)."""


class BillingJournalEntry(Base):
    __tablename__ = "billing_journal_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    """``INVOICE`` or ``PAYMENT``."""
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("billing_invoice.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("billing_payment.id"))
    description: Mapped[str] = mapped_column(String(200))
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BillingPosting(Base):
    __tablename__ = "billing_posting"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("billing_journal_entry.id"), index=True)
    account: Mapped[str] = mapped_column(String(32))
    charge_code: Mapped[str] = mapped_column(String(16))
    amount_usd: Mapped[Decimal] = mapped_column(Money())
    """Positive: the account owes (debit); negative: it is owed (credit)."""
