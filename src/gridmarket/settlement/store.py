"""Store a balanced settlement result: the run, one statement version per account, the ledger.

Refuses an unbalanced result (:class:`~gridmarket.settlement.engine.UnbalancedSettlement`)
before writing anything. Statements are new rows only: a published statement
is never updated (see :class:`~gridmarket.settlement.models.PublishedStatementImmutable`).

Each SC statement version posts one journal entry: per charge code and
component, the change since the previous version, debited to the SCID and
credited to the ISO clearing account of the code; the postings of an entry sum
to zero.

Example::

    run = store_result(session, result, trade_date=day, kind="initial",
                       publication_date=date(2020, 7, 28), clock=clock, policy="refuse")
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from gridmarket.clock import Clock
from gridmarket.settlement import codes
from gridmarket.settlement.engine import SettlementResult, UnbalancedSettlement, check_balanced
from gridmarket.settlement.models import (
    LedgerJournalEntry,
    LedgerPosting,
    SettlementRun,
    SettlementRunDetail,
    SettlementStatement,
    SettlementStatementLine,
)

LINE_FIELDS = ("charge_code", "component", "subject_kind", "subject", "quantity_mwh",
               "price_usd_per_mwh", "amount_usd", "amount_unrounded_usd", "intervals",
               "determinants_json")
LineKey = tuple[str, str, str, str]


@dataclass(frozen=True)
class StatementOptions:
    """How a run is stored: its kind, dates, meter policy and whether unchanged runs publish."""

    kind: str
    publication_date: date
    dispute_deadline: date | None = None
    missing_meter_policy: str = "refuse"
    only_if_changed: bool = False
    requested_by_person_id: int | None = None
    parameter_set_id: int | None = None
    market_run_ids: dict[str, int] | None = None


def canonical_digest(rows: list[dict[str, Any]]) -> str:
    """SHA-256 of lines as sorted canonical text (amounts as stored).

    Example::

        >>> len(canonical_digest([]))
        64
    """
    text = "\n".join(sorted("|".join(_text(row[f]) for f in LINE_FIELDS) for row in rows))
    return hashlib.sha256(text.encode()).hexdigest()


def _text(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}" if value else "0"
    return "" if value is None else str(value)


def _line_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    rows = frame.select(
        "charge_code", "component", "subject_kind", "subject", "quantity_mwh",
        "price_usd_per_mwh", "amount_usd", "amount_unrounded_usd",
        pl.col("intervals").cast(pl.Int64), pl.col("determinants").alias("determinants_json"),
    ).to_dicts()
    return rows


def latest_statements(session: Session, trade_date: date) -> dict[str, SettlementStatement]:
    """The newest published statement of each account for ``trade_date``.

    Example::

        latest_statements(session, date(2020, 7, 15))["DTGA"].version
    """
    newest = (select(SettlementStatement.account, func.max(SettlementStatement.version)
                     .label("version"))
              .where(SettlementStatement.trade_date == trade_date,
                     SettlementStatement.is_published.is_(True))
              .group_by(SettlementStatement.account).subquery())
    rows = session.scalars(select(SettlementStatement).join(
        newest, (newest.c.account == SettlementStatement.account)
        & (newest.c.version == SettlementStatement.version))
        .where(SettlementStatement.trade_date == trade_date))
    return {statement.account: statement for statement in rows}


def store_result(session: Session, result: SettlementResult, *, trade_date: date,
                 options: StatementOptions, clock: Clock) -> SettlementRun:
    """Write the run, its statements, lines, detail and ledger for ``trade_date``.

    With ``only_if_changed``, a result whose lines equal the latest versions
    of every account is recorded as an UNCHANGED run without statements.
    """
    lines = result.lines.filter(pl.col("trade_date") == trade_date)
    check_balanced(lines)
    total = Decimal(lines["amount_usd"].sum() or 0)
    if total != 0:
        raise UnbalancedSettlement(f"{trade_date}: lines sum to {total}, not 0.00")
    per_account = {account: _line_rows(frame) for (account,), frame in
                   lines.partition_by("account", as_dict=True, maintain_order=True).items()}
    kinds = dict(lines.select("account", "account_kind").unique().iter_rows())
    previous = latest_statements(session, trade_date)
    digests = {account: canonical_digest(rows) for account, rows in per_account.items()}
    unchanged = (set(previous) == set(digests)
                 and all(previous[a].content_sha256 == digests[a] for a in digests))
    now = clock.now()
    run = SettlementRun(
        trade_date=trade_date, kind=options.kind,
        status="UNCHANGED" if unchanged and options.only_if_changed else "PUBLISHED",
        missing_meter_policy=options.missing_meter_policy,
        missing_reads=result.missing_reads.filter(pl.col("trade_date") == trade_date).height,
        line_count=lines.height, total_usd=total,
        pools_json=json.dumps({k: str(v) for k, v in result.pools.get(trade_date, {}).items()}),
        market_run_ids_json=json.dumps(options.market_run_ids or {}),
        parameter_set_id=options.parameter_set_id, created_at=now,
        requested_by_person_id=options.requested_by_person_id)
    session.add(run)
    session.flush()
    if run.status == "UNCHANGED":
        return run
    _store_detail(session, run.id, result, trade_date)
    statements: dict[str, SettlementStatement] = {}
    for account, rows in per_account.items():
        before = previous.get(account)
        statements[account] = SettlementStatement(
            run_id=run.id, account=account, account_kind=kinds[account], trade_date=trade_date,
            kind=options.kind, version=(before.version + 1) if before else 1,
            supersedes_id=before.id if before else None,
            publication_date=options.publication_date, published_at=now, is_published=True,
            total_usd=sum((r["amount_usd"] for r in rows), Decimal("0.00")),
            line_count=len(rows), content_sha256=digests[account],
            is_disputable=options.kind != "initial", dispute_deadline=options.dispute_deadline)
    session.add_all(statements.values())
    session.flush()
    session.execute(insert(SettlementStatementLine), [
        {"statement_id": statements[account].id, **row}
        for account, rows in per_account.items() for row in rows])
    _post_ledger(session, statements, per_account, previous, trade_date, now)
    return run


def _store_detail(session: Session, run_id: int, result: SettlementResult,
                  trade_date: date) -> None:
    rows = []
    for name, frame in result.detail.items():
        day = frame.filter(pl.col("trade_date") == trade_date)
        buffer = io.BytesIO()
        day.write_parquet(buffer, compression="zstd")
        blob = buffer.getvalue()
        rows.append({"run_id": run_id, "name": name, "row_count": day.height, "parquet": blob,
                     "sha256": hashlib.sha256(blob).hexdigest()})
    session.execute(insert(SettlementRunDetail), rows)


def _code_totals(session: Session, statement: SettlementStatement | None,
                 rows: list[dict[str, Any]] | None = None) -> dict[tuple[str, str], Decimal]:
    totals: dict[tuple[str, str], Decimal] = defaultdict(lambda: Decimal("0.00"))
    if rows is None and statement is not None:
        query = (select(SettlementStatementLine.charge_code, SettlementStatementLine.component,
                        func.sum(SettlementStatementLine.amount_usd))
                 .where(SettlementStatementLine.statement_id == statement.id)
                 .group_by(SettlementStatementLine.charge_code,
                           SettlementStatementLine.component))
        for code, component, amount in session.execute(query):
            totals[(code, component)] += Decimal(amount)
    for row in rows or []:
        totals[(row["charge_code"], row["component"])] += row["amount_usd"]
    return totals


def _post_ledger(session: Session, statements: dict[str, SettlementStatement],
                 per_account: dict[str, list[dict[str, Any]]],
                 previous: dict[str, SettlementStatement], trade_date: date,
                 now: Any) -> None:
    postings: list[dict[str, Any]] = []
    for account, statement in statements.items():
        if statement.account_kind != "SC":
            continue
        new = _code_totals(session, None, per_account[account])
        old = _code_totals(session, previous.get(account))
        entry_postings = []
        for code, component in sorted(set(new) | set(old)):
            change = new[(code, component)] - old[(code, component)]
            if change == 0:
                continue
            entry_postings.append({"account": account, "charge_code": code,
                                   "amount_usd": change})
            entry_postings.append({"account": codes.clearing_account(code, component),
                                   "charge_code": code, "amount_usd": -change})
        if sum((Decimal(str(p["amount_usd"])) for p in entry_postings), Decimal(0)) != 0:
            raise UnbalancedSettlement(f"journal entry of {account} does not balance")
        entry = LedgerJournalEntry(
            statement_id=statement.id, trade_date=trade_date, posted_at=now,
            description=f"{statement.kind} statement v{statement.version} {account} {trade_date}")
        session.add(entry)
        session.flush()
        postings.extend({"entry_id": entry.id, **p} for p in entry_postings)
    if postings:
        session.execute(insert(LedgerPosting), postings)
