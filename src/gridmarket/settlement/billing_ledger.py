"""The double entry of billing: invoices, penalties billed and payments.

Extends the settlement ledger (:mod:`gridmarket.settlement.store`) with the
same sign convention (positive: the account owes, a debit; negative: it is
owed, a credit) and the same rule: an entry's postings sum to zero, checked
before anything is written (:class:`~gridmarket.settlement.engine.UnbalancedSettlement`).

Accounts:

* ``<SCID>``: the settlement ledger's statement receivable; an invoice credits
  what it bills, so across both ledgers the SCID's balance is what is stated
  but not yet invoiced.
* ``AR:SC<id>``: the SC's invoiced receivable; invoices debit it, payments
  credit it (negative: the SC's credit balance).
* ``ISO_FEES``: charge code 5024, the late-payment penalties billed.
* ``ISO_CASH``: money received.

Example::

    post_entry(session, kind="PAYMENT", description="payment WIRE-1", payment_id=3,
               postings=[Posting("ISO_CASH", "PAYMENT", Decimal("100.00")),
                         Posting(receivable_account(7), "PAYMENT", Decimal("-100.00"))],
               clock=clock)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from gridmarket.clock import Clock
from gridmarket.settlement.billing_models import BillingJournalEntry, BillingPosting
from gridmarket.settlement.engine import UnbalancedSettlement

ISO_CASH = "ISO_CASH"
LATE_PAYMENT_PENALTY = "5024"


@dataclass(frozen=True)
class Posting:
    """One side of an entry: account, charge code and signed amount (cents)."""

    account: str
    charge_code: str
    amount_usd: Decimal


def receivable_account(coordinator_id: int) -> str:
    """The SC's invoiced-receivable account.

    Example::

        >>> receivable_account(7)
        'AR:SC7'
    """
    return f"AR:SC{coordinator_id}"


def post_entry(
    session: Session,
    *,
    kind: str,
    description: str,
    postings: list[Posting],
    clock: Clock,
    invoice_id: int | None = None,
    payment_id: int | None = None,
) -> BillingJournalEntry:
    """Write one balanced journal entry; refuse (write nothing) if its postings do not sum to 0.

    Postings of zero are dropped.
    """
    kept = [p for p in postings if p.amount_usd != 0]
    total = sum((p.amount_usd for p in kept), Decimal(0))
    if total != 0:
        raise UnbalancedSettlement(f"billing entry {description!r} does not balance: {total}")
    entry = BillingJournalEntry(
        kind=kind,
        description=description[:200],
        invoice_id=invoice_id,
        payment_id=payment_id,
        posted_at=clock.now(),
    )
    session.add(entry)
    session.flush()
    if kept:
        session.execute(
            insert(BillingPosting),
            [
                {
                    "entry_id": entry.id,
                    "account": p.account,
                    "charge_code": p.charge_code,
                    "amount_usd": p.amount_usd,
                }
                for p in kept
            ],
        )
    return entry


def account_balance(session: Session, account: str) -> Decimal:
    """The billing ledger balance of ``account`` (summed exactly, in Python).

    Example::

        account_balance(session, receivable_account(7))   # Decimal('1234.56')
    """
    amounts = session.scalars(select(BillingPosting.amount_usd).where(
        BillingPosting.account == account))
    return sum((Decimal(a) for a in amounts), Decimal("0.00")).quantize(Decimal("0.01"))


def unbalanced_entries(session: Session) -> list[int]:
    """Ids of entries whose postings do not sum to zero (always empty; for invariant checks)."""
    return list(session.scalars(
        select(BillingPosting.entry_id).group_by(BillingPosting.entry_id)
        .having(func.sum(BillingPosting.amount_usd) != 0)))
