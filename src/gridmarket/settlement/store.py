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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
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
    lines = _day_rows(result.lines, trade_date)
    check_balanced(lines)
    total = Decimal(lines["amount_usd"].sum() or 0)
    if total != 0:
        raise UnbalancedSettlement(f"{trade_date}: lines sum to {total}, not 0.00")
    lines = lines.with_columns(pl.col("determinants").alias("determinants_json"))
    accounts = lines.group_by("account", maintain_order=True).agg(
        pl.col("account_kind").first(), pl.col("amount_usd").sum().alias("total"),
        pl.len().alias("line_count"))
    previous = latest_statements(session, trade_date)
    digests = _digests(lines)
    unchanged = (set(previous) == set(digests)
                 and all(previous[a].content_sha256 == digests[a] for a in digests))
    now = clock.now()
    run = SettlementRun(
        trade_date=trade_date, kind=options.kind,
        status="UNCHANGED" if unchanged and options.only_if_changed else "PUBLISHED",
        missing_meter_policy=options.missing_meter_policy,
        missing_reads=_day_rows(result.missing_reads, trade_date).height,
        line_count=lines.height, total_usd=total,
        pools_json=json.dumps({k: str(v) for k, v in result.pools.get(trade_date, {}).items()}),
        market_run_ids_json=json.dumps(options.market_run_ids or {}),
        parameter_set_id=options.parameter_set_id, created_at=now,
        requested_by_person_id=options.requested_by_person_id)
    session.add(run)
    session.flush()
    if run.status == "UNCHANGED":
        return run
    with ThreadPoolExecutor(max_workers=1) as encoder:
        # Encoding the interval detail releases the interpreter: it runs while the
        # statements and lines are written.
        detail = encoder.submit(_detail_rows, result, trade_date)
        _store_statements(session, run, lines, accounts, digests, previous, options, now)
        session.execute(insert(SettlementRunDetail),
                        [{"run_id": run.id, **row} for row in detail.result()])
    return run


def _store_statements(session: Session, run: SettlementRun, lines: pl.DataFrame,
                      accounts: pl.DataFrame, digests: dict[str, str],
                      previous: dict[str, SettlementStatement], options: StatementOptions,
                      now: datetime) -> None:
    """Each account's new statement version, its lines and its ledger entry."""
    trade_date = run.trade_date
    statements: dict[str, SettlementStatement] = {}
    for account, kind, account_total, count in accounts.iter_rows():
        before = previous.get(account)
        statements[account] = SettlementStatement(
            run_id=run.id, account=account, account_kind=kind, trade_date=trade_date,
            kind=options.kind, version=(before.version + 1) if before else 1,
            supersedes_id=before.id if before else None,
            publication_date=options.publication_date, published_at=now, is_published=True,
            total_usd=Decimal(account_total) + Decimal("0.00"), line_count=count,
            content_sha256=digests[account],
            is_disputable=options.kind != "initial", dispute_deadline=options.dispute_deadline)
    session.add_all(statements.values())
    session.flush()
    _insert_lines(session, lines.with_columns(pl.col("account").replace_strict(
        {a: s.id for a, s in statements.items()}, return_dtype=pl.Int64).alias("statement_id")))
    _post_ledger(session, statements, lines, previous, trade_date, now)


def _day_rows(frame: pl.DataFrame, trade_date: date) -> pl.DataFrame:
    """The rows of one trade date; a slice when the frame is sorted by trade date."""
    days = frame["trade_date"]
    if frame.height > 10_000 and days.flags["SORTED_ASC"]:
        start = days.search_sorted(trade_date, "left")
        end = days.search_sorted(trade_date, "right")
        return frame.slice(start, end - start)
    return frame.filter(pl.col("trade_date") == trade_date)


def _canonical_text(column: str, dtype: pl.DataType) -> pl.Expr:
    """:func:`_text` of a column, vectorised: decimals normalised, null as ''."""
    expr = pl.col(column)
    if isinstance(dtype, pl.Decimal):
        text = expr.cast(pl.String)
        if dtype.scale:
            text = text.str.strip_chars_end("0").str.strip_chars_end(".")
        expr = pl.when(expr == 0).then(pl.lit("0")).otherwise(text)
    return expr.cast(pl.String).fill_null("")


def _digests(lines: pl.DataFrame) -> dict[str, str]:
    """:func:`canonical_digest` of every account's lines, without Python row objects."""
    texts = lines.select("account", pl.concat_str(
        [_canonical_text(f, lines.schema[f]) for f in LINE_FIELDS], separator="|").alias("t"))
    digests = {}
    for (account,), frame in texts.partition_by("account", as_dict=True,
                                                maintain_order=True).items():
        text = "\n".join(sorted(frame["t"].to_list()))
        digests[str(account)] = hashlib.sha256(text.encode()).hexdigest()
    return digests


LINE_COLUMNS = ("statement_id", *LINE_FIELDS)
FLOAT_EXACT = 2**53
"""Below 2^53 units of 1e-6, Polars' decimal → float cast equals Python's ``float(Decimal)``."""


def _insert_lines(session: Session, lines: pl.DataFrame) -> None:
    """Bulk insert: COPY on PostgreSQL, ``executemany`` of plain tuples on SQLite."""
    frame = lines.select(*LINE_COLUMNS)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(
                f"COPY settlement_statement_line ({', '.join(LINE_COLUMNS)}) "
                "FROM STDIN (FORMAT csv)") as copy:
            copy.write(frame.write_csv(include_header=False, quote_style="non_numeric"))
        return
    if connection.dialect.name != "sqlite":
        session.execute(insert(SettlementStatementLine), frame.to_dicts())
        return
    # SQLite: the values SQLAlchemy's Numeric would bind (float(Decimal)), made in bulk.
    numeric = ("quantity_mwh", "price_usd_per_mwh", "amount_usd", "amount_unrounded_usd")
    columns = []
    for name in LINE_COLUMNS:
        series = frame[name]
        if name in numeric:
            physical = series.to_physical()
            exact = physical.len() == 0 or bool(
                ((physical < FLOAT_EXACT) & (physical > -FLOAT_EXACT)).fill_null(True).all())
            columns.append(series.cast(pl.Float64).to_list() if exact else
                           [None if v is None else float(v) for v in series.to_list()])
        else:
            columns.append(series.to_list())
    placeholders = ", ".join("?" for _ in LINE_COLUMNS)
    connection.exec_driver_sql(
        f"INSERT INTO settlement_statement_line ({', '.join(LINE_COLUMNS)}) "
        f"VALUES ({placeholders})", list(zip(*columns, strict=True)))


def _detail_rows(result: SettlementResult, trade_date: date) -> list[dict[str, Any]]:
    """The day's interval detail of each kind as Parquet, with its digest."""
    rows = []
    for name, frame in result.detail.items():
        day = _day_rows(frame, trade_date)
        blob = _parquet(day)
        rows.append({"name": name, "row_count": day.height, "parquet": blob,
                     "sha256": hashlib.sha256(blob).hexdigest()})
    return rows


def _parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    # No column statistics: the detail is read whole, never filtered by them.
    frame.write_parquet(buffer, compression="zstd", compression_level=1, statistics=False,
                        row_group_size=50_000)
    return buffer.getvalue()


def _code_totals(session: Session, previous: dict[str, SettlementStatement]
                 ) -> dict[str, dict[tuple[str, str], Decimal]]:
    """Per account, the total of each (charge code, component) of its previous version."""
    totals: dict[str, dict[tuple[str, str], Decimal]] = {}
    by_id = {statement.id: account for account, statement in previous.items()}
    if not by_id:
        return totals
    query = (select(SettlementStatementLine.statement_id, SettlementStatementLine.charge_code,
                    SettlementStatementLine.component,
                    func.sum(SettlementStatementLine.amount_usd))
             .where(SettlementStatementLine.statement_id.in_(list(by_id)))
             .group_by(SettlementStatementLine.statement_id, SettlementStatementLine.charge_code,
                       SettlementStatementLine.component))
    for statement_id, code, component, amount in session.execute(query):
        account = totals.setdefault(by_id[statement_id], {})
        account[(code, component)] = account.get((code, component), Decimal("0.00")) + Decimal(
            amount)
    return totals


def _post_ledger(session: Session, statements: dict[str, SettlementStatement],
                 lines: pl.DataFrame, previous: dict[str, SettlementStatement],
                 trade_date: date, now: Any) -> None:
    sums = (lines.filter(pl.col("account_kind") == "SC")
            .group_by("account", "charge_code", "component")
            .agg(pl.col("amount_usd").sum()))
    new: dict[str, dict[tuple[str, str], Decimal]] = defaultdict(dict)
    for account, code, component, amount in sums.iter_rows():
        new[account][(code, component)] = Decimal(amount) + Decimal("0.00")
    old = _code_totals(session, {a: s for a, s in previous.items() if a in statements
                                 and statements[a].account_kind == "SC"})
    entries: list[dict[str, Any]] = []
    postings_of: dict[int, list[dict[str, Any]]] = {}
    for account, statement in statements.items():
        if statement.account_kind != "SC":
            continue
        after, before = new.get(account, {}), old.get(account, {})
        entry_postings = []
        for code, component in sorted(set(after) | set(before)):
            change = (after.get((code, component), Decimal("0.00"))
                      - before.get((code, component), Decimal("0.00")))
            if change == 0:
                continue
            entry_postings.append({"account": account, "charge_code": code,
                                   "amount_usd": change})
            entry_postings.append({"account": codes.clearing_account(code, component),
                                   "charge_code": code, "amount_usd": -change})
        if sum((Decimal(str(p["amount_usd"])) for p in entry_postings), Decimal(0)) != 0:
            raise UnbalancedSettlement(f"journal entry of {account} does not balance")
        entries.append({
            "statement_id": statement.id, "trade_date": trade_date, "posted_at": now,
            "description": f"{statement.kind} statement v{statement.version} {account} "
                           f"{trade_date}"})
        postings_of[statement.id] = entry_postings
    if not entries:
        return
    ids = {statement_id: entry_id for statement_id, entry_id in session.execute(
        insert(LedgerJournalEntry).returning(LedgerJournalEntry.statement_id,
                                             LedgerJournalEntry.id,
                                             sort_by_parameter_order=True), entries)}
    postings = [{"entry_id": ids[statement_id], **p}
                for statement_id, entry_postings in postings_of.items() for p in entry_postings]
    if postings:
        session.execute(insert(LedgerPosting), postings)
