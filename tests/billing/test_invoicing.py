"""Invoice dates, due dates, recalculations invoiced by difference, the ledger."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from tests.billing.conftest import CALENDAR, PARAMS, Market, ledger_is_balanced, pacific_noon

from gridmarket.errors import InvalidInput
from gridmarket.settlement.billing_ledger import (
    ISO_CASH,
    account_balance,
    receivable_account,
)
from gridmarket.settlement.billing_models import Invoice, InvoiceStatus
from gridmarket.settlement.invoice_documents import invoice_csv, invoice_pdf
from gridmarket.settlement.invoicing import run_invoices
from gridmarket.settlement.models import LedgerPosting, SettlementStatement
from gridmarket.settlement.payments import credit_balance, record_payment


def _invoice(market: Market, day: date, coordinator_id: int) -> Invoice:
    run = run_invoices(market.session, day, parameters=PARAMS, clock=pacific_noon(day))
    return next(i for i in run.invoices if i.scheduling_coordinator_id == coordinator_id)


def _settlement_balance(market: Market, account: str) -> Decimal:
    amounts = market.session.scalars(select(LedgerPosting.amount_usd).where(
        LedgerPosting.account == account))
    return sum((Decimal(a) for a in amounts), Decimal("0.00"))


def test_invoice_dates_and_due_dates_are_business_days() -> None:
    # Monday 7 Sep 2020 is Labor Day: that week's invoice goes out on Tuesday 8 Sep,
    # due 5 business days later, Tuesday 15 Sep.
    assert CALENDAR.next_invoice_date(date(2020, 9, 2)) == date(2020, 9, 8)
    assert CALENDAR.invoice_due_date(date(2020, 9, 8)) == date(2020, 9, 15)
    # Invoice Mon 14 Sep → due Mon 21 Sep; Mon 23 Nov → Tue 1 Dec (Thanksgiving skipped).
    assert CALENDAR.invoice_due_date(date(2020, 9, 14)) == date(2020, 9, 21)
    assert CALENDAR.invoice_due_date(date(2020, 11, 23)) == date(2020, 12, 1)


def test_the_job_refuses_a_day_that_is_not_an_invoice_date(market: Market) -> None:
    with pytest.raises(InvalidInput, match="the next one is 2020-09-08"):
        run_invoices(market.session, date(2020, 9, 7), parameters=PARAMS,
                     clock=pacific_noon(date(2020, 9, 7)))


def test_statements_are_invoiced_once_and_a_recalculation_only_by_difference(
        market: Market) -> None:
    market.settle()
    invoice_b = _invoice(market, date(2020, 9, 14), market.b.id)
    invoice_a = _invoice(market, date(2020, 9, 14), market.a.id)
    assert (invoice_b.total_usd, invoice_b.due_date, invoice_b.status) == (
        Decimal("8640.00"), date(2020, 9, 21), InvoiceStatus.OPEN)
    [line] = invoice_b.lines
    assert (line.account, line.trade_date, line.statement_version, line.amount_usd) == (
        market.scid_b, date(2020, 8, 26), 1, Decimal("8640.00"))
    # A is paid: its net-negative invoice is kept as its credit balance.
    assert (invoice_a.total_usd, invoice_a.status) == (Decimal("-8640.00"), InvoiceStatus.PAID)
    assert credit_balance(market.session, market.a.id) == Decimal("8640.00")
    # Idempotent on (SC, invoice date); nothing new the next week.
    again = run_invoices(market.session, date(2020, 9, 14), parameters=PARAMS,
                         clock=pacific_noon(date(2020, 9, 14)))
    assert again.created == 0 and invoice_b in again.invoices
    assert run_invoices(market.session, date(2020, 9, 21), parameters=PARAMS,
                        clock=pacific_noon(date(2020, 9, 21))).invoices == []

    # Recalculation: A's generator read of one interval is 1.5 MWh instead of 1:
    # A is paid $15.00 more, charged to B's demand by the imbalance offset.
    market.change_generator_read("1.5")
    market.settle(on=date(2020, 12, 8))
    v2 = market.session.scalar(select(SettlementStatement).where(
        SettlementStatement.account == market.scid_b, SettlementStatement.version == 2))
    assert v2 is not None and v2.total_usd == Decimal("8655.00")
    recalc = _invoice(market, date(2020, 12, 14), market.b.id)
    [line] = recalc.lines
    assert (line.statement_version, line.previously_invoiced_usd, line.amount_usd) == (
        2, Decimal("8640.00"), Decimal("15.00"))
    assert recalc.total_usd == Decimal("15.00")
    assert recalc.lines[0].description.endswith("invoiced 8640.00")
    # Across both ledgers the SCID's statement receivable is fully invoiced.
    from gridmarket.settlement.billing_ledger import account_balance as billing_balance

    assert _settlement_balance(market, market.scid_b) + billing_balance(
        market.session, market.scid_b) == 0
    assert account_balance(market.session, receivable_account(market.b.id)) == v2.total_usd
    ledger_is_balanced(market.session)


def test_invoice_and_payment_entries_balance_and_documents_render(market: Market) -> None:
    market.settle()
    invoice = _invoice(market, date(2020, 9, 14), market.b.id)
    record_payment(market.session, market.b.id, Decimal("8640.00"),
                   pacific_noon(date(2020, 9, 18)).now(), "WIRE 1", parameters=PARAMS,
                   clock=pacific_noon(date(2020, 9, 18)))
    assert invoice.status == InvoiceStatus.PAID
    assert account_balance(market.session, receivable_account(market.b.id)) == 0
    assert account_balance(market.session, ISO_CASH) == Decimal("8640.00")
    ledger_is_balanced(market.session)
    text = invoice_csv(invoice)
    assert text.startswith("invoice_id,") and text.count("\n") == 2
    assert invoice_pdf(market.session, invoice).startswith(b"%PDF-")
