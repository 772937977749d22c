"""The certification decision, SCIDs, and the connectivity check.

An application in certification becomes a certified SC when every checklist
item is accepted (or not applicable) and the fee is paid. Certification
grants one SCID — the applicant's first choice still free — and makes the
organisation an SC; its user access administrators receive the SCID so they
can grant it to their people. More SCIDs are granted on request.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.errors import NotVisible
from gridmarket.access.models import (
    Organisation,
    OrganisationKind,
    Person,
    Role,
    RoleGrant,
    ScidGrant,
)
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.errors import Conflict, NotFound
from gridmarket.participants.applications import check_scid_choices
from gridmarket.participants.checklist import (
    outstanding_items,
    pass_automatic_item,
    refresh_access_item,
)
from gridmarket.participants.lifecycle import transition
from gridmarket.participants.models import (
    ScApplication,
    SchedulingCoordinator,
    Scid,
    ScStatus,
)


def record_connectivity_test(
    session: Session,
    actor: Principal,
    application_id: int,
    authenticated_with_api_token: bool,
    clock: Clock,
) -> ScApplication:
    """Pass NETWORK_CONNECTIVITY: the applicant's own API token reached the platform.

    Called by the connectivity-test endpoint; a web session does not count,
    nor does an ISO user's call.
    """
    application = session.get(ScApplication, application_id)
    if application is None:
        raise NotFound(f"no application {application_id}", field="application_id")
    if application.scheduling_coordinator.organisation_id != actor.organisation_id:
        # Only the applicant's own people can prove its connectivity, not even ISO staff.
        raise NotVisible(
            f"no application {application_id} of your organisation",
            actor=actor,
            action="checklist.connectivity_test",
            object_type="sc_application",
            object_id=str(application_id),
        )
    if not authenticated_with_api_token:
        raise Conflict("the connectivity test must be made with an API token, not a web session")
    now = clock.now()
    pass_automatic_item(
        session,
        application,
        "NETWORK_CONNECTIVITY",
        f"authenticated API call by {actor.email} at {now.isoformat()}",
        now,
    )
    record_audit(
        session,
        actor=actor,
        action="checklist.connectivity_test",
        object_type="sc_application",
        object_id=str(application.id),
        clock=clock,
    )
    return application


def certify(
    session: Session,
    actor: Principal,
    application_id: int,
    parameters: MarketParameters,
    clock: Clock,
) -> Scid:
    """Certify the applicant and grant its SCID; refuse naming every item still open."""
    authorize(actor, Action.CERTIFY_SC)
    application = session.get(ScApplication, application_id)
    if application is None:
        raise NotFound(f"no application {application_id}", field="application_id")
    coordinator = application.scheduling_coordinator
    if coordinator.status != ScStatus.IN_CERTIFICATION:
        raise Conflict(f"only an SC in certification can be certified ({coordinator.status.value})")
    now = clock.now()
    refresh_access_item(session, application, now)
    session.refresh(application, ["checklist"])
    missing = outstanding_items(application)
    if missing:
        listed = "; ".join(f"{item.code} ({item.status.value})" for item in missing)
        raise Conflict(f"checklist items not done: {listed}", field="checklist")
    if application.fee_paid_at is None:
        raise Conflict("the application fee has not been received", field="fee")
    code = _first_free_choice(session, application)
    calendar = MarketCalendar(parameters)
    today = calendar.trade_date_of(now)
    scid = Scid(code=code, scheduling_coordinator_id=coordinator.id, granted_on=today)
    session.add(scid)
    session.flush()
    transition(
        session,
        coordinator,
        ScStatus.CERTIFIED,
        actor_id=actor.person_id,
        at=now,
        reason=f"certified with SCID {code}",
    )
    coordinator.certified_on = today
    organisation = session.get(Organisation, coordinator.organisation_id)
    assert organisation is not None
    organisation.kind = OrganisationKind.SC
    _grant_to_access_administrators(session, coordinator, scid)
    record_audit(
        session,
        actor=actor,
        action="sc.certify",
        object_type="scheduling_coordinator",
        object_id=str(coordinator.id),
        details={"scid": code},
        clock=clock,
    )
    return scid


def _first_free_choice(session: Session, application: ScApplication) -> str:
    for code in (application.scid_choice_1, application.scid_choice_2, application.scid_choice_3):
        if session.scalar(select(Scid.id).where(Scid.code == code)) is None:
            return code
    raise Conflict(
        "all three SCID choices have been taken since the application; ask for another SCID",
        field="scid_choices",
    )


def _grant_to_access_administrators(
    session: Session, coordinator: SchedulingCoordinator, scid: Scid
) -> None:
    administrators = session.scalars(
        select(Person)
        .join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(
            Person.organisation_id == coordinator.organisation_id,
            RoleGrant.role == Role.USER_ACCESS_ADMINISTRATOR,
        )
    )
    for person in administrators:
        session.add(ScidGrant(person_id=person.id, scid_id=scid.id))
    session.flush()


def grant_additional_scid(
    session: Session,
    actor: Principal,
    coordinator_id: int,
    code: str,
    parameters: MarketParameters,
    clock: Clock,
) -> Scid:
    """Grant a further SCID to a certified SC at its request."""
    authorize(actor, Action.CERTIFY_SC)
    coordinator = session.get(SchedulingCoordinator, coordinator_id)
    if coordinator is None:
        raise NotFound(f"no scheduling coordinator {coordinator_id}", field="coordinator_id")
    if coordinator.status != ScStatus.CERTIFIED:
        raise Conflict(f"SCIDs are granted to certified SCs ({coordinator.status.value})")
    check_scid_choices(session, [code], parameters)
    now = clock.now()
    scid = Scid(
        code=code,
        scheduling_coordinator_id=coordinator.id,
        granted_on=MarketCalendar(parameters).trade_date_of(now),
    )
    session.add(scid)
    session.flush()
    _grant_to_access_administrators(session, coordinator, scid)
    record_audit(
        session,
        actor=actor,
        action="sc.scid_grant",
        object_type="scheduling_coordinator",
        object_id=str(coordinator.id),
        details={"scid": code},
        clock=clock,
    )
    return scid
