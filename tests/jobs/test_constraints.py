"""The database itself refuses what breaks key rules, whatever code writes to it.

One SC per resource at a time, one settlement run per statement of the
schedule, one statement per account, trade date and version number, and
(PostgreSQL) journal entries that balance.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from tests.conftest import AccessWorld
from tests.resource_helpers import make_resource

from gridmarket.resources.models import ResourceAssignment
from gridmarket.settlement.billing_models import BillingJournalEntry, BillingPosting
from gridmarket.settlement.models import (
    LedgerJournalEntry,
    LedgerPosting,
    SettlementRun,
    SettlementStatement,
)

JAN = datetime(2031, 1, 1, 8, tzinfo=UTC)
FEB = datetime(2031, 2, 1, 8, tzinfo=UTC)
MAR = datetime(2031, 3, 1, 8, tzinfo=UTC)
DAY = date(2031, 1, 15)


def _refused(session: Session, *rows: object) -> None:
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add_all(rows)
        session.flush()


def test_a_resource_has_one_sc_at_a_time(db_session: Session, access_world: AccessWorld) -> None:
    _, [first, second] = access_world.scheduling_coordinator(scid_count=2)
    resource = make_resource(db_session)
    db_session.add(ResourceAssignment(resource_pk=resource.id, scid_id=first.id,
                                      effective_from_utc=JAN, effective_to_utc=MAR))
    db_session.flush()
    # Starting inside the first period, open or closed: refused.
    _refused(db_session, ResourceAssignment(resource_pk=resource.id, scid_id=second.id,
                                            effective_from_utc=FEB))
    _refused(db_session, ResourceAssignment(resource_pk=resource.id, scid_id=second.id,
                                            effective_from_utc=datetime(2030, 12, 1, tzinfo=UTC),
                                            effective_to_utc=FEB))
    # Ending before it starts: refused.
    _refused(db_session, ResourceAssignment(resource_pk=resource.id, scid_id=second.id,
                                            effective_from_utc=MAR, effective_to_utc=FEB))
    # From the instant the first ends: accepted, and then it cannot be stretched into it.
    follower = ResourceAssignment(resource_pk=resource.id, scid_id=second.id,
                                  effective_from_utc=MAR)
    db_session.add(follower)
    db_session.flush()
    with pytest.raises(IntegrityError), db_session.begin_nested():
        follower.effective_from_utc = FEB
        db_session.flush()


def _run(kind: str = "initial") -> SettlementRun:
    return SettlementRun(trade_date=DAY, kind=kind, status="PUBLISHED",
                         missing_meter_policy="refuse", line_count=0, total_usd=Decimal(0),
                         created_at=JAN)


def test_a_statement_of_the_schedule_is_issued_once(db_session: Session) -> None:
    db_session.add(_run())
    db_session.flush()
    _refused(db_session, _run())
    db_session.add(_run("recalculation"))
    db_session.flush()


def _statement(run: SettlementRun, version: int) -> SettlementStatement:
    return SettlementStatement(run_id=run.id, account="ZZ01", account_kind="SC", trade_date=DAY,
                               kind=run.kind, version=version, publication_date=DAY,
                               published_at=JAN, is_published=True, total_usd=Decimal(0),
                               line_count=0, content_sha256="0" * 64)


def test_one_statement_per_account_date_and_version(db_session: Session) -> None:
    initial, recalculation = _run(), _run("recalculation")
    db_session.add_all([initial, recalculation])
    db_session.flush()
    db_session.add(_statement(initial, 1))
    db_session.flush()
    _refused(db_session, _statement(recalculation, 1))
    db_session.add(_statement(recalculation, 2))
    db_session.flush()


def _check_deferred_constraints(session: Session) -> None:
    # The balance is checked at commit; this runs the pending checks now.
    session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))


def test_postgresql_refuses_a_journal_entry_that_does_not_balance(
        postgres_session: Session) -> None:
    # SQLite has no deferred triggers: there the services' own check (before writing) stands.
    db_session = postgres_session
    run = _run()
    db_session.add(run)
    db_session.flush()
    statement = _statement(run, 1)
    db_session.add(statement)
    db_session.flush()
    entry = LedgerJournalEntry(statement_id=statement.id, trade_date=DAY, description="t",
                               posted_at=JAN)
    db_session.add(entry)
    db_session.flush()
    with pytest.raises(IntegrityError, match="does not balance"), db_session.begin_nested():
        db_session.add_all([
            LedgerPosting(entry_id=entry.id, account="ZZ01", charge_code="6011",
                          amount_usd=Decimal("10.00")),
            LedgerPosting(entry_id=entry.id, account="ISO_CLEARING", charge_code="6011",
                          amount_usd=Decimal("-9.99"))])
        db_session.flush()
        _check_deferred_constraints(db_session)
    billing = BillingJournalEntry(kind="PAYMENT", description="t", posted_at=JAN)
    db_session.add(billing)
    db_session.flush()
    with pytest.raises(IntegrityError, match="does not balance"), db_session.begin_nested():
        db_session.add(BillingPosting(entry_id=billing.id, account="ISO_CASH",
                                      charge_code="PAYMENT", amount_usd=Decimal("5.00")))
        db_session.flush()
        _check_deferred_constraints(db_session)
    # Balanced entries pass.
    db_session.add_all([
        LedgerPosting(entry_id=entry.id, account="ZZ01", charge_code="6011",
                      amount_usd=Decimal("10.00")),
        LedgerPosting(entry_id=entry.id, account="ISO_CLEARING", charge_code="6011",
                      amount_usd=Decimal("-10.00"))])
    db_session.flush()
    _check_deferred_constraints(db_session)
