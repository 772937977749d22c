"""Stored statements on SQLite and PostgreSQL: versions, immutability, diffs, ledger, files."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.settlement.day import MarketDay

from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters
from gridmarket.errors import Conflict
from gridmarket.settlement.models import (
    LedgerJournalEntry,
    LedgerPosting,
    PublishedStatementImmutable,
    SettlementStatement,
    SettlementStatementLine,
)
from gridmarket.settlement.statements import (
    diff_statements,
    line_detail,
    settle_trade_date,
    statement_csv,
    statement_lines,
    statement_pdf,
)
from gridmarket.settlement.store import canonical_digest

DAY = date(2031, 7, 15)
CLOCK = FixedClock(datetime(2031, 7, 30, 12, tzinfo=UTC))


def _day(seed: int = 11) -> MarketDay:
    return MarketDay.random(random.Random(seed), DAY, scids=2, units=2, loads=1, virtuals=1)


def _statements(session: Session, version: int) -> dict[str, SettlementStatement]:
    return {s.account: s for s in session.scalars(select(SettlementStatement).where(
        SettlementStatement.trade_date == DAY, SettlementStatement.version == version))}


def test_initial_then_recalculation_versions_and_diff(db_session: Session) -> None:
    params = MarketParameters()
    day = _day()
    run = settle_trade_date(db_session, day.inputs(), trade_date=DAY, parameters=params,
                            clock=CLOCK)
    assert (run.kind, run.status, run.total_usd) == ("initial", "PUBLISHED", Decimal("0.00"))
    first = _statements(db_session, 1)
    assert sum(s.total_usd for s in first.values()) == Decimal("0.00")
    assert not first["S000"].is_disputable
    with pytest.raises(Conflict):
        settle_trade_date(db_session, day.inputs(), trade_date=DAY, parameters=params,
                          clock=CLOCK, kind="initial")
    # New meter data for the recalculation: one load read changes.
    changed = next(m for m in day.meter if m["resource_id"] == "L0")
    changed["mwh"] += Decimal("0.5")
    recalculation = settle_trade_date(db_session, day.inputs(), trade_date=DAY,
                                      parameters=params, clock=CLOCK)
    assert recalculation.kind == "recalculation"
    second = _statements(db_session, 2)
    assert second["S000"].is_disputable and second["S000"].supersedes_id == first["S000"].id
    owner = changed["scid"]
    changes = diff_statements(db_session, first[owner].id, second[owner].id)
    assert any(c.charge_code == "6475" and c.subject == "L0" for c in changes)
    # T+11M with nothing changed: recorded, nothing published.
    unchanged = settle_trade_date(db_session, day.inputs(), trade_date=DAY, parameters=params,
                                  clock=CLOCK)
    assert (unchanged.kind, unchanged.status) == ("recalculation_11m", "UNCHANGED")
    assert _statements(db_session, 3) == {}


def test_published_statements_are_immutable(db_session: Session) -> None:
    settle_trade_date(db_session, _day().inputs(), trade_date=DAY, parameters=MarketParameters(),
                      clock=CLOCK)
    statement = _statements(db_session, 1)["S000"]
    line = statement_lines(db_session, statement.id)[0]
    with pytest.raises(PublishedStatementImmutable), db_session.begin_nested():
        line.amount_usd += Decimal("1.00")
        db_session.flush()
    db_session.expire_all()
    statement = _statements(db_session, 1)["S000"]
    with pytest.raises(PublishedStatementImmutable), db_session.begin_nested():
        db_session.delete(statement)
        db_session.flush()
    db_session.expire_all()
    statement = _statements(db_session, 1)["S000"]
    rows = [{f: getattr(x, f) for f in ("charge_code", "component", "subject_kind", "subject",
                                         "quantity_mwh", "price_usd_per_mwh", "amount_usd",
                                         "amount_unrounded_usd", "intervals",
                                         "determinants_json")}
            for x in statement_lines(db_session, statement.id)]
    assert canonical_digest(rows) == statement.content_sha256


def test_ledger_entries_balance_and_match_the_iso_accounts(db_session: Session) -> None:
    settle_trade_date(db_session, _day().inputs(), trade_date=DAY, parameters=MarketParameters(),
                      clock=CLOCK)
    unbalanced = db_session.execute(select(LedgerPosting.entry_id).group_by(
        LedgerPosting.entry_id).having(func.sum(LedgerPosting.amount_usd) != 0)).all()
    assert unbalanced == []
    # Postings of this trade date only: other tests commit other days to the shared database.
    balances = dict(db_session.execute(
        select(LedgerPosting.account, func.sum(LedgerPosting.amount_usd))
        .join(LedgerJournalEntry, LedgerJournalEntry.id == LedgerPosting.entry_id)
        .where(LedgerJournalEntry.trade_date == DAY)
        .group_by(LedgerPosting.account)).all())
    statements = _statements(db_session, 1)
    for account, statement in statements.items():
        assert Decimal(balances.get(account, 0)) == statement.total_usd, account


def test_drill_down_csv_and_pdf(db_session: Session) -> None:
    settle_trade_date(db_session, _day().inputs(), trade_date=DAY, parameters=MarketParameters(),
                      clock=CLOCK)
    statement = _statements(db_session, 1)["S000"]
    for line in statement_lines(db_session, statement.id):
        if line.charge_code in ("6011", "6460", "6470", "6475", "6473"):
            rows = line_detail(db_session, line)
            exact = sum((Decimal(str(r["amount_usd"])) for r in rows), Decimal(0))
            assert exact.quantize(Decimal("0.01")) == line.amount_usd or abs(
                exact - line.amount_usd) <= Decimal("0.005"), line.charge_code
    text = statement_csv(db_session, statement)
    assert text.startswith("account,trade_date") and text.count("\n") == statement.line_count + 1
    assert statement_pdf(db_session, statement).startswith(b"%PDF-")
    assert db_session.scalar(select(func.count()).select_from(SettlementStatementLine)) > 0
