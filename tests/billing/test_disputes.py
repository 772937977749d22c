"""Disputes: the 22-business-day window, who may dispute, the ISO decision, the adjustment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from tests.billing.conftest import CALENDAR, PARAMS, Market, ledger_is_balanced, pacific_noon
from tests.resource_helpers import TINY_PDF

from gridmarket.access.errors import NotVisible
from gridmarket.errors import Conflict, InvalidInput
from gridmarket.resources.uploads import UploadedFile
from gridmarket.settlement.billing_ledger import account_balance
from gridmarket.settlement.billing_models import Dispute, DisputeAdjustment
from gridmarket.settlement.disputes import (
    DisputeDecision,
    DisputeRequest,
    decide_dispute,
    submit_dispute,
    visible_dispute,
    visible_disputes,
)
from gridmarket.settlement.invoicing import run_invoices
from gridmarket.settlement.models import LedgerPosting, SettlementStatement
from gridmarket.settlement.run_hooks import DISPUTE_ADJUSTMENT

RECALCULATION_PUBLISHED = date(2020, 12, 8)
DEADLINE = date(2021, 1, 11)  # 22 BD after 8 Dec 2020 (Christmas and New Year skipped)


def _statement(market: Market, scid: str, version: int) -> SettlementStatement:
    statement = market.session.scalar(select(SettlementStatement).where(
        SettlementStatement.account == scid, SettlementStatement.version == version))
    assert statement is not None
    return statement


def _dispute(market: Market, statement: SettlementStatement, on: date,
             amount: str = "40.00") -> Dispute:
    return submit_dispute(
        market.session, market.analyst_b,
        DisputeRequest(statement_id=statement.id, hours=[1], charge_code="6477",
                       amount_claimed_usd=Decimal(amount), reason="A's meter read was wrong",
                       trade_date=statement.trade_date),
        evidence=UploadedFile("read.pdf", TINY_PDF), parameters=PARAMS,
        clock=pacific_noon(on))


@pytest.fixture
def recalculated(market: Market) -> Market:
    market.settle()
    market.change_generator_read("1.5")
    market.settle(on=RECALCULATION_PUBLISHED)
    return market


def test_window_is_22_business_days_and_the_initial_is_not_disputable(
        recalculated: Market) -> None:
    market = recalculated
    v2 = _statement(market, market.scid_b, 2)
    assert v2.dispute_deadline == DEADLINE == CALENDAR.dispute_deadline(RECALCULATION_PUBLISHED)
    assert _dispute(market, v2, DEADLINE).status == "SUBMITTED"  # day 22
    with pytest.raises(Conflict, match="closed on 2021-01-11"):
        _dispute(market, v2, date(2021, 1, 12))  # day 23
    with pytest.raises(Conflict, match="only recalculation statements are disputable"):
        _dispute(market, _statement(market, market.scid_b, 1), date(2020, 9, 10))


def test_another_sc_can_neither_dispute_nor_see(recalculated: Market) -> None:
    market = recalculated
    v2 = _statement(market, market.scid_b, 2)
    dispute = _dispute(market, v2, date(2020, 12, 10))
    with pytest.raises(NotVisible):
        submit_dispute(market.session, market.analyst_a, DisputeRequest(
            statement_id=v2.id, hours=[1], charge_code="6477",
            amount_claimed_usd=Decimal("1.00"), reason="x"),
            evidence=UploadedFile("e.pdf", TINY_PDF), parameters=PARAMS,
            clock=pacific_noon(date(2020, 12, 10)))
    with pytest.raises(NotVisible):
        visible_dispute(market.session, market.analyst_a, dispute.id)
    assert visible_disputes(market.session, market.analyst_a) == []
    assert visible_disputes(market.session, market.analyst_b) == [dispute]


def test_accepted_amount_flows_into_the_next_statement_neutrally_and_is_invoiced(
        recalculated: Market) -> None:
    market = recalculated
    dispute = _dispute(market, _statement(market, market.scid_b, 2), date(2020, 12, 10))
    with pytest.raises(InvalidInput, match="less than the"):
        decide_dispute(market.session, market.iso, dispute.id,
                       DisputeDecision("PARTIALLY_ACCEPTED", Decimal("40.00"), "x"),
                       clock=pacific_noon(date(2020, 12, 20)))
    decided = decide_dispute(market.session, market.iso, dispute.id,
                             DisputeDecision("PARTIALLY_ACCEPTED", Decimal("25.00"),
                                             "HE1 only in part"),
                             clock=pacific_noon(date(2020, 12, 21)))
    assert (decided.status, decided.decision_amount_usd) == ("PARTIALLY_ACCEPTED",
                                                             Decimal("25.00"))
    with pytest.raises(Conflict, match="already decided"):
        decide_dispute(market.session, market.iso, dispute.id,
                       DisputeDecision("REJECTED", None, "no"),
                       clock=pacific_noon(date(2020, 12, 21)))
    run = market.settle(kind="recalculation_11m", on=date(2021, 7, 26))
    assert (run.status, run.total_usd) == ("PUBLISHED", Decimal("0.00"))
    v3 = _statement(market, market.scid_b, 3)
    assert v3.total_usd == Decimal("8655.00") - Decimal("25.00")
    lines = [line for line in v3.lines if line.charge_code == DISPUTE_ADJUSTMENT]
    assert [(line.subject, line.amount_usd) for line in lines] == [
        (str(dispute.id), Decimal("-25.00"))]
    statements = market.session.scalars(select(SettlementStatement).where(
        SettlementStatement.run_id == run.id)).all()
    assert sum((s.total_usd for s in statements), Decimal(0)) == Decimal("0.00")
    fees = next(s for s in statements if s.account == "ISO_FEES")
    assert any(line.charge_code == DISPUTE_ADJUSTMENT and line.amount_usd == Decimal("25.00")
               for line in fees.lines)
    adjustment = market.session.scalar(select(DisputeAdjustment))
    assert adjustment is not None and adjustment.applied_statement_id == v3.id
    # The settlement ledger: the SCID's balance is its latest statement.
    amounts = market.session.scalars(select(LedgerPosting.amount_usd).where(
        LedgerPosting.account == market.scid_b))
    assert sum((Decimal(a) for a in amounts), Decimal(0)) == v3.total_usd
    # The next invoice after v3 bills only the adjustment (v1 and v2 invoiced before).
    run_invoices(market.session, date(2020, 12, 14), parameters=PARAMS,
                 clock=pacific_noon(date(2020, 12, 14)))
    [invoice] = [i for i in run_invoices(market.session, date(2021, 7, 26), parameters=PARAMS,
                                         clock=pacific_noon(date(2021, 7, 26))).invoices
                 if i.scheduling_coordinator_id == market.b.id]
    assert invoice.total_usd == Decimal("-25.00")
    assert account_balance(market.session, market.scid_b) == -v3.total_usd
    # A later version carries the adjustment again (statements are complete versions).
    market.change_generator_read("1")
    market.settle(kind="recalculation_21m", on=date(2022, 5, 26))
    v4 = _statement(market, market.scid_b, 4)
    assert v4.total_usd == Decimal("8640.00") - Decimal("25.00")
    ledger_is_balanced(market.session)
