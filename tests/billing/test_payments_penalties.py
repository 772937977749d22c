"""Payments oldest first with overpayment kept as credit; late-payment penalties by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tests.billing.conftest import PARAMS, Market, ledger_is_balanced, pacific_noon

from gridmarket.settlement.billing_ledger import account_balance, receivable_account
from gridmarket.settlement.billing_models import InvoiceStatus
from gridmarket.settlement.invoicing import run_invoices
from gridmarket.settlement.payments import credit_balance, record_payment
from gridmarket.settlement.penalties import run_penalties


def _pay(market: Market, amount: str, on: date, reference: str) -> None:
    clock = pacific_noon(on)
    record_payment(market.session, market.b.id, Decimal(amount), clock.now(), reference,
                   parameters=PARAMS, clock=clock)


def _penalties(market: Market, day: date) -> list[Decimal]:
    run = run_penalties(market.session, day, parameters=PARAMS, clock=pacific_noon(day))
    return [a.amount_usd for a in run.accruals]


def test_late_penalty_by_hand_then_billed_and_payments_applied_oldest_first(
        market: Market) -> None:
    market.settle()
    [first] = [i for i in run_invoices(market.session, date(2020, 9, 14), parameters=PARAMS,
                                       clock=pacific_noon(date(2020, 9, 14))).invoices
               if i.scheduling_coordinator_id == market.b.id]
    # Due Mon 21 Sep: no penalty on the due date itself.
    assert _penalties(market, date(2020, 9, 21)) == []
    # Tue 22: 0.0005 × 8,640.00 = 4.320000 (the invoice is now OVERDUE).
    assert _penalties(market, date(2020, 9, 22)) == [Decimal("4.320000")]
    assert first.status == InvoiceStatus.OVERDUE
    assert _penalties(market, date(2020, 9, 22)) == []  # once per day
    # $4,999.99 received Wed 23: Wednesday still accrues on 8,640.00 …
    _pay(market, "4999.99", date(2020, 9, 23), "WIRE A")
    assert (first.paid_usd, first.status) == (Decimal("4999.99"), InvoiceStatus.OVERDUE)
    assert _penalties(market, date(2020, 9, 23)) == [Decimal("4.320000")]
    # … Thursday on 3,640.01: 0.0005 × 3,640.01 = 1.820005 (exact).
    assert _penalties(market, date(2020, 9, 24)) == [Decimal("1.820005")]
    # Mon 28 Sep invoices Σ = 10.460005 → $10.46 (half-even, once), charge code 5024.
    [second] = [i for i in run_invoices(market.session, date(2020, 9, 28), parameters=PARAMS,
                                        clock=pacific_noon(date(2020, 9, 28))).invoices
                if i.scheduling_coordinator_id == market.b.id]
    [penalty] = second.lines
    assert (penalty.kind, penalty.charge_code, penalty.penalty_invoice_id, penalty.amount_usd) \
        == ("PENALTY", "5024", first.id, Decimal("10.46"))
    assert account_balance(market.session, "ISO_FEES") == Decimal("-10.46")
    # $3,750.47 pays the first invoice's 3,640.01, then the penalty invoice's 10.46,
    # and keeps $100.00 as credit.
    _pay(market, "3750.47", date(2020, 9, 29), "WIRE B")
    assert (first.status, second.status) == (InvoiceStatus.PAID, InvoiceStatus.PAID)
    assert credit_balance(market.session, market.b.id) == Decimal("100.00")
    assert account_balance(market.session, receivable_account(market.b.id)) == Decimal("-100.00")
    # The credit pays the next invoice as soon as it is issued (the recalculation's $15.00).
    market.change_generator_read("1.5")
    market.settle(on=date(2020, 12, 8))
    [third] = [i for i in run_invoices(market.session, date(2020, 12, 14), parameters=PARAMS,
                                       clock=pacific_noon(date(2020, 12, 14))).invoices
               if i.scheduling_coordinator_id == market.b.id]
    assert (third.total_usd, third.status) == (Decimal("15.00"), InvoiceStatus.PAID)
    assert credit_balance(market.session, market.b.id) == Decimal("85.00")
    # Penalties after payment in full: none.
    assert _penalties(market, date(2020, 9, 30)) == []
    ledger_is_balanced(market.session)


def test_a_payment_reference_is_recorded_once(market: Market) -> None:
    import pytest

    from gridmarket.errors import Conflict

    _pay(market, "10.00", date(2020, 9, 1), "WIRE X")
    with pytest.raises(Conflict, match="already recorded"):
        _pay(market, "10.00", date(2020, 9, 1), "WIRE X")
    assert credit_balance(market.session, market.b.id) == Decimal("10.00")
