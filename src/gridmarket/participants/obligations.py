"""Ongoing obligations of a certified SC, and the daily job that watches them.

Rulebook §2: material changes reported within 5 BD; account change requests
filed at least 11 BD before they take effect; the officer certification
renewed every year by 30 April (late → notice, then suspension after a grace
period). The daily job also lapses applications with no activity for 12
months, and suspends SCs on every registered trigger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.calendar import MarketCalendar, add_months
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.errors import Conflict, InvalidInput, NotFound
from gridmarket.participants.lifecycle import PRE_CERTIFICATION, transition
from gridmarket.participants.models import (
    Document,
    Obligation,
    ObligationKind,
    ScApplication,
    SchedulingCoordinator,
    ScStatus,
)
from gridmarket.participants.notices import raise_notice
from gridmarket.participants.standing import register_suspension_check, suspend, suspension_reasons
from gridmarket.participants.visibility import require_own_organisation

ACTIVE = frozenset({ScStatus.CERTIFIED, ScStatus.SUSPENDED})


def _own_coordinator(
    session: Session, actor: Principal, coordinator_id: int
) -> SchedulingCoordinator:
    coordinator = session.get(SchedulingCoordinator, coordinator_id)
    if coordinator is None:
        raise NotFound(f"no scheduling coordinator {coordinator_id}", field="coordinator_id")
    require_own_organisation(
        actor,
        coordinator.organisation_id,
        action="obligation.file",
        object_type="scheduling_coordinator",
        object_id=coordinator_id,
    )
    if coordinator.status not in ACTIVE:
        raise Conflict(f"obligations apply to certified SCs ({coordinator.status.value})")
    return coordinator


def report_material_change(
    session: Session,
    actor: Principal,
    coordinator_id: int,
    change_date: date,
    description: str,
    document: Document | None,
    parameters: MarketParameters,
    clock: Clock,
) -> Obligation:
    """File a material-change report; a report after the 5-BD window is filed late."""
    authorize(actor, Action.SUBMIT_APPLICATION)
    coordinator = _own_coordinator(session, actor, coordinator_id)
    calendar = MarketCalendar(parameters)
    now = clock.now()
    today = calendar.trade_date_of(now)
    if change_date > today:
        raise InvalidInput("a material change is reported after it happens", field="change_date")
    if not description.strip():
        raise InvalidInput("describe the change", field="description")
    due = calendar.material_change_report_due(change_date)
    report = Obligation(
        scheduling_coordinator_id=coordinator.id,
        kind=ObligationKind.MATERIAL_CHANGE_REPORT,
        reference_date=change_date,
        due_on=due,
        description=description,
        filed_at=now,
        filed_late=today > due,
        document_id=document.id if document else None,
        filed_by_id=actor.person_id,
    )
    session.add(report)
    session.flush()
    if report.filed_late:
        raise_notice(
            session,
            scheduling_coordinator_id=coordinator.id,
            kind="MATERIAL_CHANGE_LATE",
            subject="Material change reported late",
            body=f"The change of {change_date} was due by {due}; it was reported on {today}.",
            dedupe_key=f"material-change-late:{report.id}",
        )
    record_audit(
        session,
        actor=actor,
        action="obligation.material_change",
        object_type="obligation",
        object_id=str(report.id),
        details={"late": report.filed_late},
        clock=clock,
    )
    return report


def request_account_change(
    session: Session,
    actor: Principal,
    coordinator_id: int,
    effective_date: date,
    description: str,
    parameters: MarketParameters,
    clock: Clock,
) -> Obligation:
    """File an account change request; refused unless it is filed far enough ahead."""
    authorize(actor, Action.SUBMIT_APPLICATION)
    coordinator = _own_coordinator(session, actor, coordinator_id)
    calendar = MarketCalendar(parameters)
    now = clock.now()
    earliest = calendar.earliest_account_change_effective(calendar.trade_date_of(now))
    if effective_date < earliest:
        lead = parameters.participants.account_change_lead_business_days
        raise InvalidInput(
            f"an account change must be filed at least {lead} business days ahead; "
            f"the earliest effective date now is {earliest}",
            field="effective_date",
        )
    request = Obligation(
        scheduling_coordinator_id=coordinator.id,
        kind=ObligationKind.ACCOUNT_CHANGE_REQUEST,
        reference_date=effective_date,
        due_on=effective_date,
        description=description,
        filed_at=now,
        filed_by_id=actor.person_id,
    )
    session.add(request)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="obligation.account_change",
        object_type="obligation",
        object_id=str(request.id),
        details={"effective": effective_date.isoformat()},
        clock=clock,
    )
    return request


def _officer_certification(
    session: Session, coordinator: SchedulingCoordinator, year: int, calendar: MarketCalendar
) -> Obligation:
    due = calendar.officer_certification_due(year)
    obligation = session.scalar(
        select(Obligation).where(
            Obligation.scheduling_coordinator_id == coordinator.id,
            Obligation.kind == ObligationKind.OFFICER_CERTIFICATION,
            Obligation.reference_date == due,
        )
    )
    if obligation is None:
        obligation = Obligation(
            scheduling_coordinator_id=coordinator.id,
            kind=ObligationKind.OFFICER_CERTIFICATION,
            reference_date=due,
            due_on=due,
            description=f"annual officer certification {year}",
        )
        session.add(obligation)
        session.flush()
    return obligation


def file_officer_certification(
    session: Session,
    actor: Principal,
    coordinator_id: int,
    year: int,
    document: Document,
    parameters: MarketParameters,
    clock: Clock,
) -> Obligation:
    """File the annual officer certification for ``year``."""
    authorize(actor, Action.SUBMIT_APPLICATION)
    coordinator = _own_coordinator(session, actor, coordinator_id)
    calendar = MarketCalendar(parameters)
    obligation = _officer_certification(session, coordinator, year, calendar)
    if obligation.filed_at is not None:
        raise Conflict(f"the {year} officer certification is already filed")
    now = clock.now()
    obligation.filed_at = now
    obligation.filed_late = calendar.trade_date_of(now) > obligation.due_on
    obligation.document_id = document.id
    obligation.filed_by_id = actor.person_id
    record_audit(
        session,
        actor=actor,
        action="obligation.officer_certification",
        object_type="obligation",
        object_id=str(obligation.id),
        details={"year": year, "late": obligation.filed_late},
        clock=clock,
    )
    return obligation


@dataclass
class DailyReport:
    today: date
    notices: list[str] = field(default_factory=list)
    suspended: list[str] = field(default_factory=list)
    lapsed: list[str] = field(default_factory=list)


def _officer_certification_overdue(
    session: Session, coordinator: SchedulingCoordinator, today: date, parameters: MarketParameters
) -> Obligation | None:
    calendar = MarketCalendar(parameters)
    due = calendar.officer_certification_due(today.year)
    # An SC certified after this year's due date owes its first renewal next year.
    if today <= due or (coordinator.certified_on is not None and coordinator.certified_on > due):
        return None
    obligation = _officer_certification(session, coordinator, today.year, calendar)
    return obligation if obligation.filed_at is None else None


def run_daily_obligations(
    session: Session, today: date, parameters: MarketParameters, clock: Clock
) -> DailyReport:
    """The daily obligations job; running it twice on a day changes nothing more.

    Example::

        report = run_daily_obligations(session, date(2021, 5, 11), params, clock)
        report.suspended  # SCs suspended today, with reasons
    """
    report = DailyReport(today)
    grace = parameters.participants.officer_certification_grace_days
    coordinators = session.scalars(
        select(SchedulingCoordinator).where(SchedulingCoordinator.status.in_(ACTIVE))
    ).all()
    for coordinator in coordinators:
        overdue = _officer_certification_overdue(session, coordinator, today, parameters)
        if overdue is not None:
            raise_notice(
                session,
                scheduling_coordinator_id=coordinator.id,
                kind="OFFICER_CERTIFICATION_LATE",
                subject=f"Annual officer certification {today.year} overdue",
                body=f"It was due on {overdue.due_on}. Without it, {coordinator.legal_name} "
                f"is suspended {grace} days after the due date.",
                dedupe_key=f"officer-cert-late:{coordinator.id}:{today.year}",
            )
            report.notices.append(f"{coordinator.legal_name}: officer certification overdue")
        if coordinator.status == ScStatus.CERTIFIED:
            reasons = suspension_reasons(session, coordinator, today, parameters)
            if reasons:
                suspend(session, coordinator, "; ".join(reasons), None, clock)
                report.suspended.append(f"{coordinator.legal_name}: {'; '.join(reasons)}")
    report.lapsed = _lapse_inactive_applications(session, today, parameters, clock)
    record_audit(
        session,
        actor=None,
        action="job.daily_obligations",
        object_type="job",
        object_id=today.isoformat(),
        details={
            "notices": len(report.notices),
            "suspended": len(report.suspended),
            "lapsed": len(report.lapsed),
        },
        clock=clock,
    )
    return report


def _lapse_inactive_applications(
    session: Session, today: date, parameters: MarketParameters, clock: Clock
) -> list[str]:
    months = parameters.participants.application_lapse_months
    lapsed = []
    applications = session.scalars(
        select(ScApplication)
        .join(SchedulingCoordinator)
        .where(SchedulingCoordinator.status.in_(PRE_CERTIFICATION))
    ).all()
    calendar = MarketCalendar(parameters)
    for application in applications:
        last_active = calendar.trade_date_of(application.last_activity_at)
        if add_months(last_active, months) <= today:
            transition(
                session,
                application.scheduling_coordinator,
                ScStatus.LAPSED,
                actor_id=None,
                at=clock.now(),
                reason=f"no activity since {last_active}",
            )
            lapsed.append(application.legal_name)
    return lapsed


def _officer_certification_lapsed(
    session: Session,
    coordinator: SchedulingCoordinator,
    today: date,
    parameters: MarketParameters,
) -> str | None:
    overdue = _officer_certification_overdue(session, coordinator, today, parameters)
    if overdue is None:
        return None
    grace = parameters.participants.officer_certification_grace_days
    if (today - overdue.due_on).days <= grace:
        return None
    return f"annual officer certification {today.year} not filed (due {overdue.due_on})"


register_suspension_check(_officer_certification_lapsed)
