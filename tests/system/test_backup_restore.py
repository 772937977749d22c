"""Backup and restore with PostgreSQL's own tools, as docs/deployment.md tells an operator.

``gridmarket demo --no-serve`` runs the demo market day into a PostgreSQL
database (bids, DAM, real time, meter data, settlement statements, invoices);
``pg_dump --format=custom`` takes a backup of it and ``pg_restore`` brings the
backup into a new, empty database. Every settlement statement comes back
identical to the cent (account, version, totals, each line, digests), the
lines still match their statement's digest, the ledger still nets to $0.00 for
each trade date and the audit chain is intact.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from tests.databases import BACKENDS, drop_postgres_database, fresh_postgres_database
from tests.system.conftest import TRADE_DATE, database_name

from gridmarket.access.audit import verify_audit_chain
from gridmarket.db.engine import make_engine
from gridmarket.settlement.models import (
    LedgerJournalEntry,
    LedgerPosting,
    SettlementStatement,
    SettlementStatementLine,
)
from gridmarket.settlement.store import LINE_FIELDS, canonical_digest

pytestmark = pytest.mark.system

DEMO_SECONDS = 600
STATEMENT_FIELDS = ("account", "account_kind", "trade_date", "kind", "version", "publication_date",
                    "published_at", "is_published", "total_usd", "line_count", "content_sha256",
                    "is_disputable", "dispute_deadline")


@pytest.fixture(scope="module")
def market_day() -> Iterator[str]:
    """A PostgreSQL database holding the demo market day, settled; its URL."""
    if "postgresql" not in BACKENDS:
        pytest.skip("system tests run on PostgreSQL (GRIDMARKET_TEST_BACKENDS excludes it)")
    name = database_name("_day")
    url = fresh_postgres_database(name)
    day = subprocess.run(
        [sys.executable, "-m", "gridmarket.cli.main", "demo", "--date", TRADE_DATE.isoformat(),
         "--no-serve"],
        env={**os.environ, "GRIDMARKET_DATABASE_URL": url, "COLUMNS": "120"},
        capture_output=True, text=True, timeout=DEMO_SECONDS, check=False)
    assert day.returncode == 0, day.stdout[-3000:] + day.stderr[-3000:]
    assert "all accounts together: $0.00" in day.stdout
    yield url
    drop_postgres_database(name)


def postgres_tool(name: str, url: str) -> str:
    """``pg_dump`` or ``pg_restore`` of the server's major version (Debian keeps each version's
    tools in /usr/lib/postgresql/<major>/bin; the one on PATH may be another version)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            major = int(connection.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    finally:
        engine.dispose()
    for candidate in (f"/usr/lib/postgresql/{major}/bin/{name}", shutil.which(name)):
        if candidate and Path(candidate).exists():
            version = subprocess.run([candidate, "--version"], capture_output=True, text=True,
                                     check=True).stdout
            found = re.search(r"(\d+)\.\d+", version)
            if found and int(found.group(1)) >= major:
                return candidate
    pytest.fail(f"{name} of PostgreSQL {major} or later is not installed "
                "(apt-get install postgresql-client)", pytrace=False)


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as the PostgreSQL tools take it (``postgresql://...``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _statements(engine: Engine) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Every statement, by (account, trade date, version): its fields and its lines."""
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    with Session(engine) as session:
        for statement in session.scalars(select(SettlementStatement)):
            lines = session.scalars(select(SettlementStatementLine)
                                    .where(SettlementStatementLine.statement_id == statement.id)
                                    .order_by(SettlementStatementLine.id))
            found[(statement.account, statement.trade_date, statement.version)] = {
                **{f: getattr(statement, f) for f in STATEMENT_FIELDS},
                "lines": [{f: getattr(line, f) for f in LINE_FIELDS} for line in lines],
            }
    return found


def _ledger_by_trade_date(engine: Engine) -> dict[Any, Decimal]:
    with Session(engine) as session:
        rows = session.execute(
            select(LedgerJournalEntry.trade_date, func.sum(LedgerPosting.amount_usd))
            .join(LedgerPosting, LedgerPosting.entry_id == LedgerJournalEntry.id)
            .group_by(LedgerJournalEntry.trade_date)).all()
        return {trade_date: Decimal(net) for trade_date, net in rows}


def test_a_restored_backup_holds_every_statement_to_the_cent(market_day: str,
                                                             tmp_path: Path) -> None:
    backup = tmp_path / "gridmarket.dump"
    subprocess.run([postgres_tool("pg_dump", market_day), "--format=custom",
                    f"--file={backup}", libpq_url(market_day)], check=True, timeout=300)
    restored_name = database_name("_restored")
    restored = fresh_postgres_database(restored_name)
    try:
        subprocess.run([postgres_tool("pg_restore", market_day), "--no-owner", "--exit-on-error",
                        "--single-transaction", f"--dbname={libpq_url(restored)}", str(backup)],
                       check=True, timeout=300)
        original_engine, restored_engine = make_engine(market_day), make_engine(restored)
        try:
            before, after = _statements(original_engine), _statements(restored_engine)
            ledger = _ledger_by_trade_date(restored_engine)
            with Session(restored_engine) as session:
                chain = verify_audit_chain(session)
        finally:
            original_engine.dispose()
            restored_engine.dispose()
    finally:
        drop_postgres_database(restored_name)

    assert len(before) >= 10, "the demo day has a statement per SC and ISO account"
    assert after == before
    for key, statement in after.items():
        assert canonical_digest(statement["lines"]) == statement["content_sha256"], key
        assert len(statement["lines"]) == statement["line_count"], key
        amounts = sum((line["amount_usd"] for line in statement["lines"]), Decimal(0))
        assert amounts == statement["total_usd"], key
    latest: dict[tuple[str, Any], dict[str, Any]] = {}
    for (account, trade_date, _version), statement in sorted(after.items()):
        latest[(account, trade_date)] = statement  # Versions ascending: the last one stays.
    totals: dict[Any, Decimal] = {}
    for (_account, trade_date), statement in latest.items():
        totals[trade_date] = totals.get(trade_date, Decimal(0)) + statement["total_usd"]
    assert set(totals) == {TRADE_DATE}
    assert all(total == 0 for total in totals.values()), totals
    assert ledger and all(net == 0 for net in ledger.values()), ledger
    assert chain.intact, chain.message()
