"""Read-side service functions of the participants area."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from gridmarket.access.models import Person, Role, RoleGrant
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.participants.lifecycle import PRE_CERTIFICATION
from gridmarket.participants.models import ScApplication, SchedulingCoordinator, Scid
from gridmarket.resources.models import ResourceAssignment


@dataclass(frozen=True)
class ScSummary:
    legal_name: str
    status: str
    scids: list[str]
    resources_assigned: int


def registry(session: Session) -> list[ScSummary]:
    """Every scheduling coordinator with its SCIDs and how many resources it represents now."""
    counts = {
        sc_id: count
        for sc_id, count in session.execute(
            select(Scid.scheduling_coordinator_id, func.count(ResourceAssignment.id))
            .join(ResourceAssignment, ResourceAssignment.scid_id == Scid.id)
            .where(ResourceAssignment.effective_to_utc.is_(None))
            .group_by(Scid.scheduling_coordinator_id)
        )
    }
    coordinators = session.scalars(
        select(SchedulingCoordinator)
        .options(selectinload(SchedulingCoordinator.scids))
        .order_by(SchedulingCoordinator.legal_name)
    )
    return [
        ScSummary(
            legal_name=sc.legal_name,
            status=sc.status.value,
            scids=sorted(s.code for s in sc.scids),
            resources_assigned=counts.get(sc.id, 0),
        )
        for sc in coordinators
    ]


def applications_visible_to(session: Session, principal: Principal) -> list[ScApplication]:
    """ISO certification staff see every application; an applicant sees its own."""
    query = select(ScApplication).join(SchedulingCoordinator).order_by(ScApplication.id)
    if principal.is_iso:
        authorize(principal, Action.REVIEW_APPLICATION)
    else:
        query = query.where(SchedulingCoordinator.organisation_id == principal.organisation_id)
    return list(session.scalars(query))


def coordinators_visible_to(session: Session, principal: Principal) -> list[SchedulingCoordinator]:
    """The SC registry for ISO staff; an SC's people see their own SC."""
    query = (
        select(SchedulingCoordinator)
        .options(selectinload(SchedulingCoordinator.scids))
        .order_by(SchedulingCoordinator.legal_name)
    )
    if not principal.is_iso:
        query = query.where(SchedulingCoordinator.organisation_id == principal.organisation_id)
    return list(session.scalars(query))


def application_queue(session: Session, *, open_only: bool = False) -> list[ScApplication]:
    """Applications, those still before certification first, by completeness due date."""
    query = (
        select(ScApplication)
        .join(SchedulingCoordinator)
        .options(selectinload(ScApplication.scheduling_coordinator))
    )
    if open_only:
        query = query.where(SchedulingCoordinator.status.in_(PRE_CERTIFICATION))
    rows = list(session.scalars(query.order_by(ScApplication.completeness_due_on)))
    return sorted(rows, key=lambda a: a.scheduling_coordinator.status not in PRE_CERTIFICATION)


def certification_specialists(session: Session) -> list[Person]:
    """Active people holding the certification specialist role, by name."""
    return list(
        session.scalars(
            select(Person)
            .join(RoleGrant, RoleGrant.person_id == Person.id)
            .where(RoleGrant.role == Role.CERTIFICATION_SPECIALIST, Person.active.is_(True))
            .order_by(Person.display_name)
        )
    )
