"""What each job does, through the areas' own service functions.

Each function does one job's work in the session it is given and returns a
one-line summary. Work already done by someone else (an operator's run from
the command line or the API) is recognised and left alone, so the job ends
DONE without doing it twice.

Example::

    summary = do_job(session, Job(JobKind.CREDIT_DAILY, date(2020, 7, 15)), environment)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gridmarket.bidding.close import close_day_ahead, close_real_time_hour
from gridmarket.calendar import INITIAL_STATEMENT, RECALCULATION_STATEMENT
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.credit.daily import run_daily_credit
from gridmarket.jobs.catalog import Job, JobKind
from gridmarket.markets.run_models import MarketKind
from gridmarket.markets.runs import latest_run, published_run, run_day_ahead, run_real_time
from gridmarket.metering.estimation import estimate_missing
from gridmarket.metering.models import MeterDeadline
from gridmarket.participants.obligations import run_daily_obligations
from gridmarket.settlement.invoicing import run_invoices
from gridmarket.settlement.models import SettlementRun
from gridmarket.settlement.service import run_settlement

METER_DEADLINE_BEFORE: dict[str, MeterDeadline] = {
    INITIAL_STATEMENT: MeterDeadline.INITIAL,
    RECALCULATION_STATEMENT: MeterDeadline.FINAL,
}
"""The meter data deadline whose missing values are estimated before a statement."""


@dataclass(frozen=True)
class JobEnvironment:
    """What jobs run with: the database, the market parameters, the data folder, the clock."""

    session_factory: sessionmaker[Session]
    parameters: MarketParameters
    data_dir: Path
    clock: Clock


def _close_and_run_day_ahead(session: Session, job: Job, env: JobEnvironment) -> str:
    report = close_day_ahead(session, job.day, parameters=env.parameters, clock=env.clock)
    closed = f"DAM closed {report.statuses or 'no pending bids'}, {report.generated_bids} " \
             f"generated bids, {report.unmatched_trades} unmatched trades"
    earlier = latest_run(session, job.day, MarketKind.DAM)
    if earlier is not None:
        # A failed run is the operator's to re-run (or cancel) until the rerun deadline.
        return f"{closed}; DAM already run (run {earlier.id}, {earlier.status.value})"
    run = run_day_ahead(session, job.day, parameters=env.parameters, data_dir=env.data_dir,
                        clock=env.clock)
    return f"{closed}; DAM run {run.id} {run.status.value}" + (
        f": {run.failure_reason}" if run.failure_reason else "")


def _close_real_time_hour(session: Session, job: Job, env: JobEnvironment) -> str:
    report = close_real_time_hour(session, job.day, int(job.part), parameters=env.parameters,
                                  clock=env.clock)
    return f"RTM HE{int(job.part):02d} closed {report.statuses or 'no pending bids'}, " \
           f"{report.unmatched_trades} unmatched trades"


def _run_real_time(session: Session, job: Job, env: JobEnvironment) -> str:
    market = MarketKind(job.part)
    earlier = published_run(session, job.day, market)
    if earlier is not None:
        return f"{market.value} already published (run {earlier.id})"
    run = run_real_time(session, job.day, market.value, parameters=env.parameters,
                        data_dir=env.data_dir, clock=env.clock)
    return f"{market.value} run {run.id} {run.status.value}" + (
        f": {run.failure_reason}" if run.failure_reason else "")


def _issue_statement(session: Session, job: Job, env: JobEnvironment) -> str:
    kind = job.part
    earlier = session.scalar(select(SettlementRun).where(
        SettlementRun.trade_date == job.day, SettlementRun.kind == kind))
    if earlier is not None:
        return f"{kind} statement already issued (settlement run {earlier.id})"
    estimated = 0
    deadline = METER_DEADLINE_BEFORE.get(kind)
    if deadline is not None:
        estimated = estimate_missing(session, job.day, deadline, parameters=env.parameters,
                                     clock=env.clock).values_stored
    # After the estimates, a read can still be missing only where real-time dispatch gave no
    # expected energy to estimate from; it settles at its expected energy and is counted.
    run = run_settlement(session, job.day, parameters=env.parameters, clock=env.clock,
                         kind=kind, missing_meter="use_expected")
    return f"{kind} statement: settlement run {run.id} {run.status}, {run.line_count} lines, " \
           f"{estimated} meter values estimated, {run.missing_reads} reads at expected energy"


def _run_invoices(session: Session, job: Job, env: JobEnvironment) -> str:
    run = run_invoices(session, job.day, parameters=env.parameters, clock=env.clock)
    return f"{len(run.invoices)} invoices ({run.created} new)"


def _run_daily_credit(session: Session, job: Job, env: JobEnvironment) -> str:
    report = run_daily_credit(session, job.day, env.parameters, env.clock)
    return f"credit of {report.computed} SCs recomputed; {len(report.warnings)} warnings, " \
           f"{len(report.calls_issued)} calls issued, {len(report.calls_met)} met, " \
           f"{len(report.suspended)} suspended"


def _run_daily_obligations(session: Session, job: Job, env: JobEnvironment) -> str:
    report = run_daily_obligations(session, job.day, env.parameters, env.clock)
    return f"{len(report.notices)} notices, {len(report.suspended)} suspended, " \
           f"{len(report.lapsed)} applications lapsed"


WORK: dict[JobKind, Callable[[Session, Job, JobEnvironment], str]] = {
    JobKind.DAM_CLOSE_AND_RUN: _close_and_run_day_ahead,
    JobKind.RT_HOUR_CLOSE: _close_real_time_hour,
    JobKind.RT_RUN: _run_real_time,
    JobKind.SETTLEMENT_STATEMENT: _issue_statement,
    JobKind.INVOICE_RUN: _run_invoices,
    JobKind.CREDIT_DAILY: _run_daily_credit,
    JobKind.SC_OBLIGATIONS_DAILY: _run_daily_obligations,
}


def do_job(session: Session, job: Job, env: JobEnvironment) -> str:
    """Do ``job``'s work in ``session`` (not committed here) and say what was done."""
    return WORK[job.kind](session, job, env)
