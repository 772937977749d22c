"""Statements: initial and recalculation versions, line-by-line diffs, CSV and PDF.

The schedule is :meth:`MarketCalendar.statement_schedule`: the initial
statement (T+9B), the recalculation (T+70B, always issued), then T+11M, T+21M
and T+24M, issued only when any line of any account changed. Every issue is a
new immutable version per account (1, 2, …).

Example::

    run = settle_trade_date(session, inputs, trade_date=day, kind="initial",
                            parameters=params, clock=clock)
    changes = diff_statements(session, old_id, new_id)
    pdf = statement_pdf(session, statement)
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.calendar import INITIAL_STATEMENT, MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.errors import Conflict, InvalidInput, NotFound
from gridmarket.settlement import codes
from gridmarket.settlement.engine import EngineParameters, MissingMeterPolicy, settle
from gridmarket.settlement.inputs import SettlementInputs
from gridmarket.settlement.models import (
    SettlementRun,
    SettlementRunDetail,
    SettlementStatement,
    SettlementStatementLine,
)
from gridmarket.settlement.run_hooks import after_publication, with_dispute_adjustments
from gridmarket.settlement.store import StatementOptions, store_result

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
CSV_HEADER = ("account", "trade_date", "statement_kind", "version", "charge_code", "component",
              "subject_kind", "subject", "quantity_mwh", "price_usd_per_mwh", "amount_usd",
              "amount_unrounded_usd", "intervals", "determinants")


def engine_parameters(parameters: MarketParameters,
                      missing_meter: MissingMeterPolicy = "refuse") -> EngineParameters:
    """The engine's parameters from the rulebook parameters.

    Example::

        >>> engine_parameters(MarketParameters()).scid_monthly_charge_usd
        Decimal('1000')
    """
    return EngineParameters(bid_segment_fee_usd=parameters.bids.bid_segment_fee_usd,
                            scid_monthly_charge_usd=parameters.settlement.scid_monthly_charge_usd,
                            missing_meter=missing_meter)


def next_statement_kind(session: Session, trade_date: date, calendar: MarketCalendar) -> str:
    """The next kind of the schedule not yet run for ``trade_date``.

    Example::

        next_statement_kind(session, date(2020, 7, 15), MarketCalendar())   # 'initial'
    """
    done = set(session.scalars(select(SettlementRun.kind)
                               .where(SettlementRun.trade_date == trade_date)))
    for scheduled in calendar.statement_schedule(trade_date):
        if scheduled.kind not in done:
            return scheduled.kind
    raise Conflict(f"every statement of {trade_date} has been issued", field="trade_date")


def settle_trade_date(session: Session, inputs: SettlementInputs, *, trade_date: date,
                      parameters: MarketParameters, clock: Clock, kind: str | None = None,
                      missing_meter: MissingMeterPolicy = "refuse",
                      requested_by_person_id: int | None = None,
                      market_run_ids: dict[str, int] | None = None) -> SettlementRun:
    """Settle ``trade_date`` from ``inputs`` and store the statements of ``kind``.

    ``kind`` defaults to the next one of the schedule. The initial statement
    comes first; the T+70B recalculation always publishes; later ones publish
    only when something changed (else the run is recorded UNCHANGED).
    """
    calendar = MarketCalendar(parameters)
    schedule = {s.kind: s.publication_date for s in calendar.statement_schedule(trade_date)}
    kind = kind or next_statement_kind(session, trade_date, calendar)
    if kind not in schedule:
        raise InvalidInput(f"unknown statement kind {kind!r}; expected one of "
                           f"{', '.join(schedule)}", field="kind")
    issued = session.scalar(select(SettlementRun.id).where(
        SettlementRun.trade_date == trade_date, SettlementRun.kind == kind))
    if issued is not None:
        raise Conflict(f"the {kind} statement of {trade_date} was issued already "
                       f"(settlement run {issued})", field="kind")
    has_initial = session.scalar(select(SettlementRun.id).where(
        SettlementRun.trade_date == trade_date, SettlementRun.kind == INITIAL_STATEMENT))
    if kind == INITIAL_STATEMENT and has_initial:
        raise Conflict(f"the initial statement of {trade_date} exists; run a recalculation",
                       field="kind")
    if kind != INITIAL_STATEMENT and not has_initial:
        raise Conflict(f"{trade_date} has no initial statement yet", field="kind")
    result = with_dispute_adjustments(
        session, settle(inputs, engine_parameters(parameters, missing_meter)), trade_date)
    publication = schedule[kind]
    options = StatementOptions(
        kind=kind, publication_date=publication,
        dispute_deadline=None if kind == INITIAL_STATEMENT else
        calendar.dispute_deadline(publication),
        missing_meter_policy=missing_meter,
        only_if_changed=kind not in (INITIAL_STATEMENT, "recalculation"),
        requested_by_person_id=requested_by_person_id, market_run_ids=market_run_ids)
    run = store_result(session, result, trade_date=trade_date, options=options, clock=clock)
    after_publication(session, run, clock)
    return run


# --- reading -----------------------------------------------------------------------------


def get_statement(session: Session, statement_id: int) -> SettlementStatement:
    statement = session.get(SettlementStatement, statement_id)
    if statement is None:
        raise NotFound(f"no statement {statement_id}", field="statement_id")
    return statement


def statement_lines(session: Session, statement_id: int) -> list[SettlementStatementLine]:
    return list(session.scalars(select(SettlementStatementLine)
                                .where(SettlementStatementLine.statement_id == statement_id)
                                .order_by(SettlementStatementLine.id)))


@dataclass(frozen=True)
class LineChange:
    """One line of a diff: the key, and its quantity and amount in both versions."""

    charge_code: str
    component: str
    subject_kind: str
    subject: str
    before_quantity_mwh: Decimal | None
    after_quantity_mwh: Decimal | None
    before_amount_usd: Decimal | None
    after_amount_usd: Decimal | None

    @property
    def change_usd(self) -> Decimal:
        return (self.after_amount_usd or Decimal("0.00")) - (self.before_amount_usd
                                                             or Decimal("0.00"))

    @property
    def status(self) -> str:
        if self.before_amount_usd is None:
            return "added"
        if self.after_amount_usd is None:
            return "removed"
        return "changed"


def diff_statements(session: Session, before_id: int, after_id: int) -> list[LineChange]:
    """Line-by-line changes from one version to another of the same account and date.

    Example::

        [c for c in diff_statements(session, 10, 31) if c.charge_code == "6475"]
    """
    before, after = get_statement(session, before_id), get_statement(session, after_id)
    if (before.account, before.trade_date) != (after.account, after.trade_date):
        raise InvalidInput("both versions must be of the same account and trade date",
                           field="statement_id")

    def keyed(statement_id: int) -> dict[tuple[str, str, str, str], SettlementStatementLine]:
        return {(x.charge_code, x.component, x.subject_kind, x.subject): x
                for x in statement_lines(session, statement_id)}

    old, new = keyed(before.id), keyed(after.id)
    changes = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a is not None and b is not None and (a.amount_usd, a.quantity_mwh,
                                                a.determinants_json) == (
                b.amount_usd, b.quantity_mwh, b.determinants_json):
            continue
        changes.append(LineChange(*key, a.quantity_mwh if a else None,
                                  b.quantity_mwh if b else None, a.amount_usd if a else None,
                                  b.amount_usd if b else None))
    return changes


def line_detail(session: Session, line: SettlementStatementLine) -> list[dict[str, object]]:
    """The interval rows behind a line, each with its quantity, price and amount.

    A reader recomputes the line as ``round_cents(Σ amount)``.

    Example::

        rows = line_detail(session, line)   # [{"interval_start_utc": ..., "amount_usd": ...}]
    """
    statement = line.statement
    source = _detail_source(line.charge_code)
    if source is None or line.subject_kind not in ("RESOURCE", "VIRTUAL", "TRADE"):
        return []
    blob = session.scalar(select(SettlementRunDetail.parquet).where(
        SettlementRunDetail.run_id == statement.run_id, SettlementRunDetail.name == source))
    if blob is None:
        return []
    frame = pl.read_parquet(io.BytesIO(blob)).filter(pl.col("scid") == statement.account,
                                                     pl.col("subject") == line.subject)
    if "subject_kind" in frame.columns:
        frame = frame.filter(pl.col("subject_kind") == line.subject_kind)
    quantity, price, at = _detail_columns(line.charge_code, line.component)
    if quantity == "q_rtd":
        frame = frame.filter(pl.col("q_rtd") != 0)
    rows = []
    for row in frame.sort(at).iter_rows(named=True):
        q = Decimal(int(row[quantity])).scaleb(-6) / 60
        p = Decimal(int(row[price])).scaleb(-6)
        rows.append({"interval_start_utc": row[at], "quantity_mwh": q, "price_usd_per_mwh": p,
                     "amount_usd": q * p,
                     "inputs": {k: (Decimal(int(v)).scaleb(-6) if isinstance(v, int) else v)
                                for k, v in row.items()
                                if k not in ("trade_date", "scid", "subject", at)}})
    return rows


def _detail_source(code: str) -> str | None:
    return {codes.DA_ENERGY: "da", codes.LOSS_ADJUSTMENT: "da", codes.FMM_INSTRUCTED: "fmm",
            codes.VIRTUAL_LIQUIDATION: "fmm", codes.RTD_INSTRUCTED: "rtd",
            codes.RT_UNINSTRUCTED: "rtd", codes.INTER_SC_TRADE: "trades"}.get(code)


def _detail_columns(code: str, component: str) -> tuple[str, str, str]:
    if code in (codes.DA_ENERGY, codes.LOSS_ADJUSTMENT):
        part = {codes.ENERGY: "p_energy", codes.CONGESTION: "p_congestion",
                codes.LOSS: "p_loss"}[component]
        return "q", part, "hour_start_utc"
    if code in (codes.FMM_INSTRUCTED, codes.VIRTUAL_LIQUIDATION):
        return "q", "p_lmp", "fmm_start_utc"
    if code == codes.INTER_SC_TRADE:
        return "q", "p_lmp", "hour_start_utc"
    return ("q_rtd" if code == codes.RTD_INSTRUCTED else "q_uie"), "p_lmp", "interval_start_utc"


# --- downloads ---------------------------------------------------------------------------


def statement_csv(session: Session, statement: SettlementStatement) -> str:
    """The statement as CSV, one row per line with its bill determinants.

    Example::

        text = statement_csv(session, statement)   # "account,trade_date,..."
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for line in statement_lines(session, statement.id):
        writer.writerow([statement.account, statement.trade_date.isoformat(), statement.kind,
                         statement.version, line.charge_code, line.component,
                         line.subject_kind, line.subject, line.quantity_mwh,
                         "" if line.price_usd_per_mwh is None else line.price_usd_per_mwh,
                         line.amount_usd, line.amount_unrounded_usd, line.intervals,
                         line.determinants_json])
    return out.getvalue()


def statement_pdf(session: Session, statement: SettlementStatement) -> bytes:
    """The statement rendered to PDF (Jinja2 template, WeasyPrint).

    Example::

        assert statement_pdf(session, statement).startswith(b"%PDF-")
    """
    from weasyprint import HTML

    from gridmarket.resources.letters import TemplateFolderFetcher

    environment = Environment(loader=FileSystemLoader(TEMPLATE_DIR),
                              autoescape=select_autoescape(["html"]),
                              undefined=StrictUndefined)
    lines = statement_lines(session, statement.id)
    by_code: dict[str, Decimal] = {}
    for line in lines:
        by_code[line.charge_code] = by_code.get(line.charge_code, Decimal("0.00")) + \
            line.amount_usd
    html = environment.get_template("statement.html").render(
        statement=statement, lines=lines, names=codes.NAMES,
        summary=sorted(by_code.items()), determinants=lambda text: json.loads(text))
    pdf: bytes = HTML(string=html, base_url=TEMPLATE_DIR.as_uri() + "/",
                      url_fetcher=TemplateFolderFetcher(TEMPLATE_DIR)).write_pdf()
    return pdf
