"""The SC application: form, fee, completeness review, and the move into certification.

Rulebook §2. The applicant's user access administrator submits the form;
the ISO records the fee, reviews completeness within the configured number
of business days (the due date is stored and shown to both sides), asks for
more or accepts, then assigns a certification specialist, which opens the
checklist (:mod:`gridmarket.participants.checklist`).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.models import Organisation, OrganisationKind, Person, Role
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.dates import IsoDate
from gridmarket.errors import Conflict, InvalidInput, NotFound
from gridmarket.participants.checklist import open_checklist
from gridmarket.participants.lifecycle import transition
from gridmarket.participants.models import (
    EntityType,
    ScApplication,
    SchedulingCoordinator,
    Scid,
    ScStatus,
    StatusTransition,
)
from gridmarket.participants.visibility import require_own_organisation


class ApplicationForm(BaseModel):
    """The fields of the SC application form (rulebook §2)."""

    legal_name: str = Field(min_length=1, max_length=200)
    scid_choices: list[str] = Field(min_length=3, max_length=3)
    street_address: str = Field(min_length=1, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    region: str = Field(min_length=1, max_length=100)
    postal_code: str = Field(min_length=1, max_length=20)
    country: str = Field(min_length=1, max_length=60)
    state_of_incorporation: str = Field(min_length=1, max_length=60)
    proposed_start_date: IsoDate
    entity_type: EntityType
    uses_scheduling_agent: bool
    scheduling_agent_name: str | None = Field(default=None, max_length=200)
    represents_generators: bool = False
    represents_loads: bool = False
    represents_imports_exports: bool = False
    virtual_trading_only: bool = False
    has_sc_metered_entities: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> ApplicationForm:
        if self.uses_scheduling_agent and not self.scheduling_agent_name:
            raise ValueError("scheduling_agent_name is required when a scheduling agent acts")
        physical = self.represents_generators or self.represents_loads
        if not (physical or self.represents_imports_exports or self.virtual_trading_only):
            raise ValueError("name at least one kind of customer represented")
        if self.virtual_trading_only and (physical or self.represents_imports_exports):
            raise ValueError("virtual_trading_only excludes generators, loads and imports/exports")
        return self


def check_scid_choices(session: Session, choices: list[str], parameters: MarketParameters) -> None:
    """Each choice: exactly N characters, first a letter, upper-case alphanumeric, unique.

    Raises :class:`InvalidInput` naming the offending choice (``scid_choices[2]``).
    """
    length = parameters.participants.scid_length
    pattern = re.compile(rf"[A-Z][A-Z0-9]{{{length - 1}}}")
    for position, code in enumerate(choices, start=1):
        field = f"scid_choices[{position}]"
        if not pattern.fullmatch(code):
            raise InvalidInput(
                f"{code!r} must be exactly {length} upper-case letters or digits, "
                "the first a letter",
                field=field,
            )
        if choices.index(code) != position - 1:
            raise InvalidInput(f"{code!r} is chosen twice", field=field)
        if session.scalar(select(Scid.id).where(Scid.code == code)) is not None:
            raise InvalidInput(f"SCID {code!r} is already in use", field=field)


def _today(calendar: MarketCalendar, now: datetime) -> date:
    return calendar.trade_date_of(now)


def _application(session: Session, application_id: int) -> ScApplication:
    application = session.get(ScApplication, application_id)
    if application is None:
        raise NotFound(f"no application {application_id}", field="application_id")
    return application


def visible_application(session: Session, actor: Principal, application_id: int) -> ScApplication:
    """The application if ``actor`` is ISO staff or of the applying organisation."""
    application = _application(session, application_id)
    require_own_organisation(
        actor,
        application.scheduling_coordinator.organisation_id,
        action="application.view",
        object_type="sc_application",
        object_id=application_id,
    )
    return application


def submit_application(
    session: Session,
    actor: Principal,
    form: ApplicationForm,
    parameters: MarketParameters,
    clock: Clock,
) -> ScApplication:
    """File an application for the actor's organisation (status APPLIED).

    Example::

        application = submit_application(session, applicant_uaa, form, params, clock)
        application.completeness_due_on  # 10 business days after receipt
    """
    authorize(actor, Action.SUBMIT_APPLICATION)
    organisation = session.get(Organisation, actor.organisation_id)
    if organisation is None or organisation.kind != OrganisationKind.APPLICANT:
        raise Conflict("only an applicant organisation can apply to become an SC")
    existing = session.scalar(
        select(SchedulingCoordinator).where(
            SchedulingCoordinator.organisation_id == organisation.id
        )
    )
    if existing is not None:
        # History is never rewritten: a withdrawn or lapsed applicant registers afresh.
        raise Conflict(
            f"{organisation.name} already has an SC record in status {existing.status.value}"
        )
    check_scid_choices(session, form.scid_choices, parameters)
    now = clock.now()
    calendar = MarketCalendar(parameters)
    coordinator = SchedulingCoordinator(
        organisation_id=organisation.id, legal_name=form.legal_name, status=ScStatus.APPLIED
    )
    session.add(coordinator)
    session.flush()
    session.add(
        StatusTransition(
            scheduling_coordinator_id=coordinator.id,
            from_status=None,
            to_status=ScStatus.APPLIED,
            actor_id=actor.person_id,
            reason="application received",
            at=now,
        )
    )
    application = ScApplication(
        scheduling_coordinator_id=coordinator.id,
        **_form_columns(form),
        received_at=now,
        completeness_due_on=calendar.completeness_review_due(_today(calendar, now)),
        last_activity_at=now,
        submitted_by_id=actor.person_id,
    )
    session.add(application)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="application.submit",
        object_type="sc_application",
        object_id=str(application.id),
        details={"legal_name": form.legal_name},
        clock=clock,
    )
    return application


def _form_columns(form: ApplicationForm) -> dict[str, object]:
    columns = form.model_dump(exclude={"scid_choices"})
    first, second, third = form.scid_choices
    return {**columns, "scid_choice_1": first, "scid_choice_2": second, "scid_choice_3": third}


def amend_application(
    session: Session,
    actor: Principal,
    application_id: int,
    form: ApplicationForm,
    parameters: MarketParameters,
    clock: Clock,
) -> ScApplication:
    """The applicant answers an INCOMPLETE finding with a corrected form (back to review)."""
    authorize(actor, Action.SUBMIT_APPLICATION)
    application = visible_application(session, actor, application_id)
    coordinator = application.scheduling_coordinator
    if coordinator.status != ScStatus.INCOMPLETE:
        raise Conflict(
            "only an INCOMPLETE application can be amended "
            f"(this one is {coordinator.status.value})"
        )
    check_scid_choices(session, form.scid_choices, parameters)
    for column, value in _form_columns(form).items():
        setattr(application, column, value)
    coordinator.legal_name = form.legal_name
    now = clock.now()
    application.last_activity_at = now
    transition(
        session,
        coordinator,
        ScStatus.UNDER_REVIEW,
        actor_id=actor.person_id,
        at=now,
        reason="amended by the applicant",
    )
    record_audit(
        session,
        actor=actor,
        action="application.amend",
        object_type="sc_application",
        object_id=str(application.id),
        clock=clock,
    )
    return application


def record_fee(
    session: Session,
    actor: Principal,
    application_id: int,
    amount_usd: Decimal,
    reference: str,
    parameters: MarketParameters,
    clock: Clock,
) -> ScApplication:
    """The ISO records the (non-refundable) application fee as received."""
    authorize(actor, Action.REVIEW_APPLICATION)
    application = _application(session, application_id)
    fee = parameters.participants.application_fee_usd
    if amount_usd != fee:
        raise InvalidInput(
            f"the application fee is ${fee:,.2f}, not ${amount_usd:,.2f}", field="amount_usd"
        )
    if application.fee_paid_at is not None:
        raise Conflict(f"the fee of application {application_id} is already recorded")
    now = clock.now()
    application.fee_amount_usd = amount_usd
    application.fee_reference = reference
    application.fee_paid_at = now
    application.last_activity_at = now
    record_audit(
        session,
        actor=actor,
        action="application.fee",
        object_type="sc_application",
        object_id=str(application.id),
        details={"amount_usd": str(amount_usd), "reference": reference},
        clock=clock,
    )
    return application


def start_review(
    session: Session, actor: Principal, application_id: int, clock: Clock
) -> ScApplication:
    """The ISO starts the completeness review (APPLIED → UNDER_REVIEW)."""
    return _review_step(
        session, actor, application_id, ScStatus.UNDER_REVIEW, "review started", clock
    )


def mark_incomplete(
    session: Session, actor: Principal, application_id: int, reason: str, clock: Clock
) -> ScApplication:
    """The ISO finds the application incomplete and says what is missing."""
    if not reason.strip():
        raise InvalidInput("say what is missing", field="reason")
    return _review_step(session, actor, application_id, ScStatus.INCOMPLETE, reason, clock)


def accept_application(
    session: Session, actor: Principal, application_id: int, clock: Clock
) -> ScApplication:
    """The ISO finds the application complete (requires the fee)."""
    authorize(actor, Action.REVIEW_APPLICATION)
    application = _application(session, application_id)
    if application.fee_paid_at is None:
        raise Conflict("the application fee has not been received", field="fee")
    return _review_step(session, actor, application_id, ScStatus.ACCEPTED, "complete", clock)


def _review_step(
    session: Session,
    actor: Principal,
    application_id: int,
    to_status: ScStatus,
    reason: str,
    clock: Clock,
) -> ScApplication:
    authorize(actor, Action.REVIEW_APPLICATION)
    application = _application(session, application_id)
    now = clock.now()
    transition(
        session,
        application.scheduling_coordinator,
        to_status,
        actor_id=actor.person_id,
        at=now,
        reason=reason,
    )
    application.last_activity_at = now
    record_audit(
        session,
        actor=actor,
        action=f"application.{to_status.value.lower()}",
        object_type="sc_application",
        object_id=str(application.id),
        details={"reason": reason},
        clock=clock,
    )
    return application


def begin_certification(
    session: Session,
    actor: Principal,
    application_id: int,
    specialist_person_id: int,
    clock: Clock,
) -> ScApplication:
    """Assign a certification specialist and open the checklist (ACCEPTED → IN_CERTIFICATION)."""
    authorize(actor, Action.REVIEW_APPLICATION)
    application = _application(session, application_id)
    specialist = session.get(Person, specialist_person_id)
    if specialist is None or not any(
        grant.role == Role.CERTIFICATION_SPECIALIST for grant in specialist.roles
    ):
        raise InvalidInput(
            f"person {specialist_person_id} is not a certification specialist",
            field="specialist_person_id",
        )
    now = clock.now()
    transition(
        session,
        application.scheduling_coordinator,
        ScStatus.IN_CERTIFICATION,
        actor_id=actor.person_id,
        at=now,
        reason=f"specialist {specialist.email}",
    )
    application.certification_specialist_id = specialist.id
    application.last_activity_at = now
    open_checklist(session, application, now)
    record_audit(
        session,
        actor=actor,
        action="application.certification_opened",
        object_type="sc_application",
        object_id=str(application.id),
        details={"specialist": specialist.email},
        clock=clock,
    )
    return application


def withdraw_application(
    session: Session, actor: Principal, application_id: int, clock: Clock
) -> ScApplication:
    """The applicant withdraws (any status before certification)."""
    authorize(actor, Action.SUBMIT_APPLICATION)
    application = visible_application(session, actor, application_id)
    transition(
        session,
        application.scheduling_coordinator,
        ScStatus.WITHDRAWN,
        actor_id=actor.person_id,
        at=clock.now(),
        reason="withdrawn by the applicant",
    )
    record_audit(
        session,
        actor=actor,
        action="application.withdraw",
        object_type="sc_application",
        object_id=str(application.id),
        clock=clock,
    )
    return application
