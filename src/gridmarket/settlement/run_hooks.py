"""What a settlement run picks up from billing and credit: dispute adjustments, released positions.

:func:`~gridmarket.settlement.statements.settle_trade_date` calls two hooks:

* :func:`with_dispute_adjustments` — before storing: every accepted dispute
  adjustment of the trade date becomes a ``DISPUTE_ADJ`` *(assumed code)* line
  of the SCID (−accepted amount: the SC is paid) with its counterpart on the
  ISO account ``ISO_FEES`` *(assumed: the ISO funds accepted disputes from its
  own account, not from a pool)*, so the day still nets to exactly $0.00 and
  every pool account too. Statement versions are complete, so every later
  version of the date carries the adjustment again (the ledger posts only changes).
* :func:`after_publication` — after storing: marks the adjustments with the
  first statement that carries them and, when the **initial** statement of
  the date is published, releases the date's cleared virtual positions
  (``credit.reservations.release_cleared_positions``): from then on their
  amounts count in the uninvoiced-statements EAL component instead.

Example::

    result = with_dispute_adjustments(session, settle(inputs, params), trade_date)
    run = store_result(session, result, trade_date=trade_date, options=options, clock=clock)
    after_publication(session, run, clock)
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.calendar import INITIAL_STATEMENT
from gridmarket.clock import Clock
from gridmarket.credit.reservations import release_cleared_positions
from gridmarket.settlement import codes
from gridmarket.settlement.billing_models import Dispute, DisputeAdjustment
from gridmarket.settlement.engine import LINE_SCHEMA, SettlementResult
from gridmarket.settlement.models import SettlementRun, SettlementStatement

DISPUTE_ADJUSTMENT = codes.DISPUTE_ADJUSTMENT
DISPUTE_ACCOUNT = codes.clearing_account(DISPUTE_ADJUSTMENT, codes.TOTAL)


def dispute_adjustment_lines(session: Session, trade_date: date) -> pl.DataFrame:
    """The ``DISPUTE_ADJ`` lines of ``trade_date`` (SC lines and their ISO counterpart).

    Example::

        dispute_adjustment_lines(session, date(2020, 7, 15))["amount_usd"].sum()   # 0
    """
    rows = session.execute(
        select(DisputeAdjustment, Dispute)
        .join(Dispute, Dispute.id == DisputeAdjustment.dispute_id)
        .where(DisputeAdjustment.trade_date == trade_date)
        .order_by(DisputeAdjustment.account, DisputeAdjustment.dispute_id)).all()
    lines: list[dict[str, object]] = []
    for adjustment, dispute in rows:
        lines.append(_line(trade_date, adjustment.account, "SC", "DISPUTE", str(dispute.id),
                           adjustment.amount_usd, {
                               "formula": codes.FORMULAS[DISPUTE_ADJUSTMENT],
                               "dispute_id": dispute.id,
                               "disputed_statement_id": dispute.statement_id,
                               "disputed_charge_code": dispute.charge_code,
                               "hours": json.loads(dispute.hours_json),
                               "amount_claimed_usd": str(dispute.amount_claimed_usd),
                               "amount_accepted_usd": str(dispute.decision_amount_usd),
                               "decision": dispute.status}))
    if lines:
        total = sum((adjustment.amount_usd for adjustment, _ in rows), Decimal("0.00"))
        lines.append(_line(trade_date, DISPUTE_ACCOUNT, "ISO", "ACCOUNT", "", -total, {
            "formula": "−Σ SC lines of the code", "sc_lines": len(rows)}))
    return pl.DataFrame(lines, schema=LINE_SCHEMA) if lines else pl.DataFrame(schema=LINE_SCHEMA)


def _line(trade_date: date, account: str, kind: str, subject_kind: str, subject: str,
          amount: Decimal, determinants: dict[str, object]) -> dict[str, object]:
    cents = amount.quantize(Decimal("0.01"))
    return {"trade_date": trade_date, "account": account, "account_kind": kind,
            "charge_code": DISPUTE_ADJUSTMENT, "component": codes.TOTAL,
            "subject_kind": subject_kind, "subject": subject, "quantity_mwh": Decimal(0),
            "price_usd_per_mwh": None, "amount_usd": cents, "amount_unrounded_usd": cents,
            "intervals": 0, "determinants": json.dumps(determinants, separators=(",", ":"))}


def with_dispute_adjustments(session: Session, result: SettlementResult,
                             trade_date: date) -> SettlementResult:
    """``result`` with the accepted dispute adjustments of ``trade_date`` added as lines."""
    extra = dispute_adjustment_lines(session, trade_date)
    if extra.height == 0:
        return result
    lines = pl.concat([result.lines, extra], how="vertical_relaxed").sort(
        "trade_date", "account", "charge_code", "component", "subject_kind", "subject")
    return dataclasses.replace(result, lines=lines)


def after_publication(session: Session, run: SettlementRun, clock: Clock) -> None:
    """Mark newly carried adjustments; release cleared virtual positions after the initial."""
    if run.status != "PUBLISHED":
        return
    statements = {s.account: s.id for s in session.scalars(
        select(SettlementStatement).where(SettlementStatement.run_id == run.id))}
    for adjustment in session.scalars(select(DisputeAdjustment).where(
            DisputeAdjustment.trade_date == run.trade_date,
            DisputeAdjustment.applied_statement_id.is_(None))):
        adjustment.applied_statement_id = statements.get(adjustment.account)
    if run.kind == INITIAL_STATEMENT:
        release_cleared_positions(session, run.trade_date,
                                  f"initial statement of {run.trade_date} published",
                                  clock=clock)
    session.flush()
