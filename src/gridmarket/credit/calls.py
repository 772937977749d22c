"""Collateral calls: issued when EAL exceeds ACL, met when it no longer does, else suspension.

After every EAL computation (:func:`assess_computation`):

* EAL > ACL and no call open → a call for EAL − ACL, due
  ``collateral_call_due_business_days`` (2) business days after the day it
  is issued (``MarketCalendar.collateral_call_due``);
* EAL ≤ ACL and a call open → the call is met (by new security, or by a
  liability paid or released);
* EAL ≤ ACL and EAL ≥ 90% of ACL → a utilisation warning.

A call still open after its due date is an unmet call: a suspension trigger
registered with ``participants.standing``. The daily credit job suspends on
it; once the call is met, the trigger no longer holds and the SC can be
reinstated.

Example::

    outcome = assess_computation(session, computation, parameters, clock)
    outcome.issued.due_on   # date(2020, 7, 6) for a call issued on Wed 1 July 2020
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.credit.models import CollateralCall, CollateralCallStatus, EalComputation
from gridmarket.credit.money import usd
from gridmarket.credit.notices import (
    notify_call_issued,
    notify_call_met,
    notify_utilisation,
    reaches_warning,
)
from gridmarket.participants.models import SchedulingCoordinator, ScStatus
from gridmarket.participants.standing import register_suspension_check, suspend


@dataclass(frozen=True)
class CallOutcome:
    """What one EAL computation changed."""

    issued: CollateralCall | None = None
    met: CollateralCall | None = None
    warned: bool = False


def open_call(session: Session, coordinator_id: int) -> CollateralCall | None:
    """The SC's open collateral call, if any (there is at most one)."""
    return session.scalar(
        select(CollateralCall).where(
            CollateralCall.scheduling_coordinator_id == coordinator_id,
            CollateralCall.status == CollateralCallStatus.OPEN,
        )
    )


def calls_of(session: Session, coordinator_id: int, *, limit: int) -> list[CollateralCall]:
    """The SC's collateral calls, open or met, newest first."""
    return list(session.scalars(
        select(CollateralCall)
        .where(CollateralCall.scheduling_coordinator_id == coordinator_id)
        .order_by(CollateralCall.issued_at.desc(), CollateralCall.id.desc())
        .limit(limit)
    ))


def assess_computation(
    session: Session, computation: EalComputation, parameters: MarketParameters, clock: Clock
) -> CallOutcome:
    """Issue, meet or warn according to a fresh EAL computation (see the module docstring).

    Example::

        assess_computation(session, computation, parameters, clock).issued   # a new call or None
    """
    coordinator_id = computation.scheduling_coordinator_id
    call = open_call(session, coordinator_id)
    eal, acl = computation.eal_usd, computation.acl_usd
    if eal > acl:
        if call is not None:
            return CallOutcome()
        return CallOutcome(issued=_issue(session, computation, parameters, clock))
    met = _meet(session, call, computation, clock) if call is not None else None
    warned = reaches_warning(eal, acl, parameters.credit.utilisation_warning_ratio)
    if warned:
        notify_utilisation(session, coordinator_id, computation.as_of, eal, acl)
    return CallOutcome(met=met, warned=warned)


def _issue(
    session: Session, computation: EalComputation, parameters: MarketParameters, clock: Clock
) -> CollateralCall:
    issued_on = computation.as_of
    call = CollateralCall(
        scheduling_coordinator_id=computation.scheduling_coordinator_id,
        issued_on=issued_on,
        issued_at=clock.now(),
        due_on=MarketCalendar(parameters).collateral_call_due(issued_on),
        amount_usd=computation.eal_usd - computation.acl_usd,
        eal_usd=computation.eal_usd,
        acl_usd=computation.acl_usd,
        computation_id=computation.id,
        status=CollateralCallStatus.OPEN,
    )
    session.add(call)
    session.flush()
    notify_call_issued(session, call)
    record_audit(
        session,
        actor=None,
        action="credit.collateral_call.issue",
        object_type="collateral_call",
        object_id=str(call.id),
        details={
            "scheduling_coordinator_id": call.scheduling_coordinator_id,
            "amount_usd": str(call.amount_usd),
            "due_on": call.due_on.isoformat(),
        },
        clock=clock,
    )
    return call


def _meet(
    session: Session, call: CollateralCall, computation: EalComputation, clock: Clock
) -> CollateralCall:
    call.status = CollateralCallStatus.MET
    call.met_on = computation.as_of
    call.met_at = clock.now()
    call.met_by_computation_id = computation.id
    session.flush()
    notify_call_met(session, call)
    record_audit(
        session,
        actor=None,
        action="credit.collateral_call.met",
        object_type="collateral_call",
        object_id=str(call.id),
        details={"met_on": computation.as_of.isoformat(), "acl_usd": str(computation.acl_usd)},
        clock=clock,
    )
    return call


def unmet_collateral_call(
    session: Session, coordinator: SchedulingCoordinator, today: date, parameters: MarketParameters
) -> str | None:
    """Suspension trigger: a collateral call still open after its due date.

    Example::

        unmet_collateral_call(session, coordinator, date(2020, 7, 7), parameters)
        # 'collateral call of $250,000.00 issued 2020-07-01 not met by 2020-07-06'
    """
    call = open_call(session, coordinator.id)
    if call is None or today <= call.due_on:
        return None
    return (
        f"collateral call of {usd(call.amount_usd)} issued {call.issued_on} "
        f"not met by {call.due_on}"
    )


register_suspension_check(unmet_collateral_call)


def suspend_for_unmet_calls(
    session: Session, today: date, parameters: MarketParameters, clock: Clock
) -> list[str]:
    """Suspend every certified SC whose collateral call is past due; a line per SC suspended.

    Example::

        suspend_for_unmet_calls(session, date(2020, 7, 7), parameters, clock)
        # ['Pinyon Energy: collateral call of $250,000.00 issued 2020-07-01 not met by 2020-07-06']
    """
    overdue = session.scalars(
        select(CollateralCall)
        .join(
            SchedulingCoordinator,
            SchedulingCoordinator.id == CollateralCall.scheduling_coordinator_id,
        )
        .where(
            CollateralCall.status == CollateralCallStatus.OPEN,
            CollateralCall.due_on < today,
            SchedulingCoordinator.status == ScStatus.CERTIFIED,
        )
        .order_by(CollateralCall.scheduling_coordinator_id)
    ).all()
    suspended = []
    for call in overdue:
        coordinator = session.get_one(SchedulingCoordinator, call.scheduling_coordinator_id)
        reason = unmet_collateral_call(session, coordinator, today, parameters)
        assert reason is not None
        suspend(session, coordinator, reason, None, clock)
        call.suspended_at = clock.now()
        suspended.append(f"{coordinator.legal_name}: {reason}")
    return suspended
