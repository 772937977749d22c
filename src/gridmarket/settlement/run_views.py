"""The ISO's view of settlement runs: each trade date's runs and its neutrality check.

Settlement is revenue neutral: every dollar charged to an account is paid to
another, so the statements of every account (the SCs' and the ISO's) of one
trade date and version sum to exactly $0.00. The check adds the stored
statement totals again, so a statement changed afterwards shows up here.

Example::

    for day in settlement_days(session, principal):
        day.trade_date, [(c.version, c.total_usd, c.balanced) for c in day.checks]
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.settlement.models import SettlementRun, SettlementStatement


@dataclass(frozen=True)
class NeutralityCheck:
    """The sum of every account's statement total for one trade date and version."""

    version: int
    kind: str
    accounts: int
    total_usd: Decimal

    @property
    def balanced(self) -> bool:
        return self.total_usd == 0


@dataclass(frozen=True)
class SettlementDay:
    trade_date: date
    runs: list[SettlementRun]
    checks: list[NeutralityCheck]


def settlement_days(session: Session, principal: Principal, *,
                    trade_date: date | None = None, days: int = 31) -> list[SettlementDay]:
    """The latest ``days`` settled trade dates (or just ``trade_date``), newest first."""
    authorize(principal, Action.RUN_SETTLEMENT)
    query = select(SettlementRun.trade_date).distinct()
    if trade_date is not None:
        query = query.where(SettlementRun.trade_date == trade_date)
    chosen = list(session.scalars(query.order_by(SettlementRun.trade_date.desc()).limit(days)))
    runs: dict[date, list[SettlementRun]] = defaultdict(list)
    for run in session.scalars(select(SettlementRun)
                               .where(SettlementRun.trade_date.in_(chosen))
                               .order_by(SettlementRun.created_at, SettlementRun.id)):
        runs[run.trade_date].append(run)
    # Summed here, in Decimal: SQLite's SUM over NUMERIC is a float.
    sums: dict[tuple[date, int, str], list[Decimal]] = defaultdict(list)
    for day, version, kind, total in session.execute(
            select(SettlementStatement.trade_date, SettlementStatement.version,
                   SettlementStatement.kind, SettlementStatement.total_usd)
            .where(SettlementStatement.trade_date.in_(chosen))):
        sums[(day, version, kind)].append(total)
    checks: dict[date, list[NeutralityCheck]] = defaultdict(list)
    for (day, version, kind), totals in sorted(sums.items()):
        checks[day].append(NeutralityCheck(version, kind, len(totals), sum(totals, Decimal(0))))
    return [SettlementDay(day, runs[day], checks[day]) for day in chosen]
