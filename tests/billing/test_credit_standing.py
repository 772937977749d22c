"""Billing in credit and standing: EAL components, the unpaid-invoice suspension, positions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from tests.billing.conftest import PARAMS, TRADE_DATE, Market, pacific_noon

from gridmarket.credit.eal import recompute_credit
from gridmarket.credit.models import CreditReservation, EalTrigger, ReservationStatus
from gridmarket.credit.reservations import record_cleared_virtual_position
from gridmarket.participants.standing import AMOUNTS_OWED, suspension_reasons
from gridmarket.settlement.billing_credit import invoice_unpaid_past_due, unpaid_invoiced_amount
from gridmarket.settlement.invoicing import run_invoices


def _components(market: Market, day: date) -> dict[str, tuple[bool, Decimal]]:
    computation = recompute_credit(market.session, market.b.id, trigger=EalTrigger.MANUAL,
                                   as_of=day, parameters=PARAMS, clock=pacific_noon(day))
    return {c.code: (c.provided, c.amount_usd) for c in computation.components}


def test_eal_components_follow_statements_and_invoices(market: Market) -> None:
    market.settle()
    # Published, not invoiced: component 2.
    before = _components(market, date(2020, 9, 10))
    assert before["UNINVOICED_STATEMENTS"] == (True, Decimal("8640.00"))
    assert before["UNPAID_INVOICES"] == (True, Decimal("0.00"))
    assert before["ESTIMATED_UNSTATED_DAYS"][0] and before["ESTIMATED_FEES"][0]
    run_invoices(market.session, date(2020, 9, 14), parameters=PARAMS,
                 clock=pacific_noon(date(2020, 9, 14)))
    after = _components(market, date(2020, 9, 14))
    assert after["UNPAID_INVOICES"] == (True, Decimal("8640.00"))
    assert after["UNINVOICED_STATEMENTS"] == (True, Decimal("0.00"))
    # A is owed money: its component counts zero (the net amount is negative).
    computation = recompute_credit(market.session, market.a.id, trigger=EalTrigger.MANUAL,
                                   as_of=date(2020, 9, 14), parameters=PARAMS,
                                   clock=pacific_noon(date(2020, 9, 14)))
    unpaid = next(c for c in computation.components if c.code == "UNPAID_INVOICES")
    assert (unpaid.net_amount_usd, unpaid.amount_usd) == (Decimal("-8640.00"), 0)


def test_an_invoice_unpaid_past_due_suspends_and_blocks_termination(market: Market) -> None:
    market.settle()
    run_invoices(market.session, date(2020, 9, 14), parameters=PARAMS,
                 clock=pacific_noon(date(2020, 9, 14)))
    # Due Mon 21 Sep; 2 business days of grace: Wed 23 still fine, Thu 24 suspends.
    assert invoice_unpaid_past_due(market.session, market.b, date(2020, 9, 23), PARAMS) is None
    reason = invoice_unpaid_past_due(market.session, market.b, date(2020, 9, 24), PARAMS)
    assert reason is not None and "$8,640.00 outstanding, due 2020-09-21" in reason
    assert reason in suspension_reasons(market.session, market.b, date(2020, 9, 24), PARAMS)
    assert unpaid_invoiced_amount in AMOUNTS_OWED
    assert unpaid_invoiced_amount(market.session, market.b) == Decimal("8640.00")
    assert unpaid_invoiced_amount(market.session, market.a) == Decimal("0.00")


def test_the_initial_statement_releases_cleared_virtual_positions(market: Market) -> None:
    record_cleared_virtual_position(market.session, market.scid_a, "POS-1", Decimal("900.00"),
                                    TRADE_DATE, clock=pacific_noon(TRADE_DATE))
    market.settle()
    position = market.session.scalar(select(CreditReservation).where(
        CreditReservation.reference == "POS-1"))
    assert position is not None and position.status == ReservationStatus.RELEASED
