"""The daily credit job, and a recomputation on the credit analyst's request.

Every day (``gridmarket credit run-daily [--date]``): recompute the ACL and
EAL of every certified or suspended SC as of the day (letters of credit
that expire that day no longer count), issue or meet collateral calls, warn
at 90% utilisation, then suspend every certified SC whose call is past due.
Running it twice on a day adds a computation record per SC and nothing
else: notices, calls and suspensions are raised once.

Example::

    report = run_daily_credit(session, date(2020, 7, 7), parameters, clock)
    report.suspended   # ['Pinyon Energy: collateral call of $250,000.00 issued ... not met by ...']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.policy import Action
from gridmarket.access.principal import Principal
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.credit.calls import suspend_for_unmet_calls
from gridmarket.credit.eal import recompute_all, recompute_credit
from gridmarket.credit.models import CollateralCall, EalComputation, EalTrigger
from gridmarket.credit.money import usd
from gridmarket.credit.notices import reaches_warning
from gridmarket.credit.visibility import credit_coordinator
from gridmarket.participants.models import SchedulingCoordinator


@dataclass
class CreditDailyReport:
    """What the daily credit job found and did."""

    today: date
    computed: int = 0
    warnings: list[str] = field(default_factory=list)
    calls_issued: list[str] = field(default_factory=list)
    calls_met: list[str] = field(default_factory=list)
    suspended: list[str] = field(default_factory=list)


def run_daily_credit(
    session: Session, today: date, parameters: MarketParameters, clock: Clock
) -> CreditDailyReport:
    """Recompute every active SC's credit as of ``today``, then suspend on unmet calls.

    Example::

        run_daily_credit(session, date(2020, 7, 1), parameters, clock).calls_issued
    """
    report = CreditDailyReport(today)
    computations = recompute_all(
        session, trigger=EalTrigger.DAILY, as_of=today, parameters=parameters, clock=clock
    )
    report.computed = len(computations)
    ratio = parameters.credit.utilisation_warning_ratio
    names = _names(session)
    for computation in computations:
        name = names[computation.scheduling_coordinator_id]
        if reaches_warning(computation.eal_usd, computation.acl_usd, ratio):
            report.warnings.append(
                f"{name}: EAL {usd(computation.eal_usd)} of ACL {usd(computation.acl_usd)}"
            )
    ids = [c.id for c in computations]
    for call in _calls(session, CollateralCall.computation_id.in_(ids)):
        report.calls_issued.append(
            f"{names[call.scheduling_coordinator_id]}: {usd(call.amount_usd)} due {call.due_on}"
        )
    for call in _calls(session, CollateralCall.met_by_computation_id.in_(ids)):
        report.calls_met.append(
            f"{names[call.scheduling_coordinator_id]}: call of {call.issued_on}"
        )
    report.suspended = suspend_for_unmet_calls(session, today, parameters, clock)
    record_audit(
        session,
        actor=None,
        action="job.daily_credit",
        object_type="job",
        object_id=today.isoformat(),
        details={
            "computed": report.computed,
            "warnings": len(report.warnings),
            "calls_issued": len(report.calls_issued),
            "calls_met": len(report.calls_met),
            "suspended": len(report.suspended),
        },
        clock=clock,
    )
    return report


def _names(session: Session) -> dict[int, str]:
    rows = session.execute(select(SchedulingCoordinator.id, SchedulingCoordinator.legal_name))
    return {coordinator_id: name for coordinator_id, name in rows}


def _calls(session: Session, condition: ColumnElement[bool]) -> list[CollateralCall]:
    return list(
        session.scalars(select(CollateralCall).where(condition).order_by(CollateralCall.id))
    )


def recompute_on_request(
    session: Session,
    actor: Principal,
    coordinator_id: int,
    parameters: MarketParameters,
    clock: Clock,
) -> EalComputation:
    """The credit analyst recomputes one SC's credit now (e.g. after new information).

    Example::

        recompute_on_request(session, analyst, 7, parameters, clock).eal_usd
    """
    coordinator = credit_coordinator(session, actor, coordinator_id, Action.MANAGE_CREDIT)
    today = MarketCalendar(parameters).trade_date_of(clock.now())
    computation = recompute_credit(
        session,
        coordinator.id,
        trigger=EalTrigger.MANUAL,
        as_of=today,
        parameters=parameters,
        clock=clock,
    )
    record_audit(
        session,
        actor=actor,
        action="credit.recompute",
        object_type="eal_computation",
        object_id=str(computation.id),
        details={"eal_usd": str(computation.eal_usd), "acl_usd": str(computation.acl_usd)},
        clock=clock,
    )
    return computation
