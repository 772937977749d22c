"""The certification checklist: every item an applicant must complete to become an SC.

Most items are evidence the applicant submits and an ISO reviewer accepts or
rejects. Three are real checks that nobody can tick by hand:

* ``NETWORK_CONNECTIVITY`` passes only when the applicant's own API token
  makes an authenticated call to the connectivity-test endpoint;
* ``MARKET_PROFICIENCY_EXAM`` passes only when an exam attempt passes;
* ``APPLICATION_ACCESS`` passes only when the organisation has an active
  user access administrator.

``SC_AGREEMENT`` and ``METER_SERVICE_AGREEMENT`` pass when the executed
agreement is recorded; the Meter Service Agreement is not applicable to an
applicant without SC-metered entities.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.models import Person, Role, RoleGrant
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.clock import Clock
from gridmarket.errors import Conflict, InvalidInput, NotFound
from gridmarket.participants.models import (
    Agreement,
    AgreementKind,
    ChecklistItem,
    ChecklistItemStatus,
    Document,
    ScApplication,
    ScStatus,
)


class CheckKind(enum.StrEnum):
    EVIDENCE = "EVIDENCE"
    """The applicant submits evidence; an ISO reviewer accepts or rejects it."""
    ISO_RECORDED = "ISO_RECORDED"
    """The ISO performs the step and records the outcome."""
    AUTOMATIC = "AUTOMATIC"
    """The platform checks it; no one can set it by hand."""


@dataclass(frozen=True)
class ItemDefinition:
    code: str
    title: str
    owner: str
    check: CheckKind


CHECKLIST: tuple[ItemDefinition, ...] = (
    ItemDefinition(
        "FINANCIAL_SECURITY",
        "Financial security posted; minimum participation requirements met",
        "APPLICANT",
        CheckKind.EVIDENCE,
    ),
    ItemDefinition(
        "OFFICER_CERTIFICATION",
        "Officer certification with risk management policies",
        "APPLICANT",
        CheckKind.EVIDENCE,
    ),
    ItemDefinition("SC_AGREEMENT", "SC Agreement executed", "ISO", CheckKind.AUTOMATIC),
    ItemDefinition(
        "METER_SERVICE_AGREEMENT", "Meter Service Agreement executed", "ISO", CheckKind.AUTOMATIC
    ),
    ItemDefinition(
        "NETWORK_CONNECTIVITY",
        "Network connectivity established and tested",
        "APPLICANT",
        CheckKind.AUTOMATIC,
    ),
    ItemDefinition("POINT_OF_CONTACT", "Point of contact named", "APPLICANT", CheckKind.EVIDENCE),
    ItemDefinition(
        "APPLICATION_ACCESS",
        "Application access set up (user access administrator named)",
        "APPLICANT",
        CheckKind.AUTOMATIC,
    ),
    ItemDefinition("TRAINING", "Training attended", "ISO", CheckKind.ISO_RECORDED),
    ItemDefinition(
        "MARKET_PROFICIENCY_EXAM",
        "Market proficiency exam passed",
        "APPLICANT",
        CheckKind.AUTOMATIC,
    ),
    ItemDefinition(
        "EFT_TEST", "Electronic funds transfer test done", "ISO", CheckKind.ISO_RECORDED
    ),
    ItemDefinition("EMERGENCY_PLAN", "Emergency plan submitted", "APPLICANT", CheckKind.EVIDENCE),
    ItemDefinition(
        "REAL_TIME_CONTACT_TEST", "Real-time contact test done", "ISO", CheckKind.ISO_RECORDED
    ),
)
DEFINITIONS = {item.code: item for item in CHECKLIST}
DONE = frozenset({ChecklistItemStatus.ACCEPTED, ChecklistItemStatus.NOT_APPLICABLE})
AGREEMENT_ITEMS = {
    AgreementKind.SC_AGREEMENT: "SC_AGREEMENT",
    AgreementKind.METER_SERVICE_AGREEMENT: "METER_SERVICE_AGREEMENT",
}


def open_checklist(session: Session, application: ScApplication, now: datetime) -> None:
    """Create the checklist items of ``application`` (all OPEN, MSA N/A when not needed)."""
    for definition in CHECKLIST:
        not_needed = (
            definition.code == "METER_SERVICE_AGREEMENT" and not application.has_sc_metered_entities
        )
        session.add(
            ChecklistItem(
                application_id=application.id,
                code=definition.code,
                title=definition.title,
                owner=definition.owner,
                status=ChecklistItemStatus.NOT_APPLICABLE
                if not_needed
                else ChecklistItemStatus.OPEN,
                note="no SC-metered entities" if not_needed else "",
                updated_at=now,
            )
        )
    session.flush()


def checklist_item(session: Session, application: ScApplication, code: str) -> ChecklistItem:
    item = session.scalar(
        select(ChecklistItem).where(
            ChecklistItem.application_id == application.id, ChecklistItem.code == code
        )
    )
    if item is None:
        raise NotFound(f"application {application.id} has no checklist item {code!r}", field="code")
    return item


def _require_in_certification(application: ScApplication) -> None:
    status = application.scheduling_coordinator.status
    if status != ScStatus.IN_CERTIFICATION:
        raise Conflict(f"the checklist is open only in certification (status is {status.value})")


def submit_evidence(
    session: Session,
    actor: Principal,
    application: ScApplication,
    code: str,
    documents: list[Document],
    note: str,
    clock: Clock,
) -> ChecklistItem:
    """The applicant submits evidence for an EVIDENCE item (→ SUBMITTED for review)."""
    authorize(actor, Action.SUBMIT_APPLICATION)
    _require_in_certification(application)
    item = checklist_item(session, application, code)
    definition = DEFINITIONS[code]
    if definition.check != CheckKind.EVIDENCE:
        raise Conflict(f"{code} is not completed with evidence: {_how_it_passes(definition)}")
    if item.status == ChecklistItemStatus.ACCEPTED:
        raise Conflict(f"{code} is already accepted")
    if not documents and not note.strip():
        raise InvalidInput("attach a document or write a note", field="evidence")
    now = clock.now()
    item.evidence.extend(documents)
    item.note = note
    item.status = ChecklistItemStatus.SUBMITTED
    item.updated_at = now
    application.last_activity_at = now
    record_audit(
        session,
        actor=actor,
        action="checklist.submit",
        object_type="checklist_item",
        object_id=str(item.id),
        details={"code": code, "documents": len(documents)},
        clock=clock,
    )
    return item


def review_item(
    session: Session,
    actor: Principal,
    application: ScApplication,
    code: str,
    accept: bool,
    note: str,
    clock: Clock,
) -> ChecklistItem:
    """An ISO reviewer accepts or rejects submitted evidence, or records an ISO step."""
    authorize(actor, Action.MANAGE_CHECKLIST)
    _require_in_certification(application)
    item = checklist_item(session, application, code)
    definition = DEFINITIONS[code]
    if definition.check == CheckKind.AUTOMATIC:
        raise Conflict(f"{code} cannot be set by hand: {_how_it_passes(definition)}")
    if definition.check == CheckKind.EVIDENCE and item.status != ChecklistItemStatus.SUBMITTED:
        raise Conflict(f"{code} has no submitted evidence to review (status {item.status.value})")
    if not accept and not note.strip():
        raise InvalidInput("say why the item is rejected", field="note")
    _complete(
        item,
        ChecklistItemStatus.ACCEPTED if accept else ChecklistItemStatus.REJECTED,
        note,
        actor.person_id,
        clock.now(),
    )
    application.last_activity_at = item.updated_at
    record_audit(
        session,
        actor=actor,
        action="checklist.review",
        object_type="checklist_item",
        object_id=str(item.id),
        details={"code": code, "accepted": accept},
        clock=clock,
    )
    return item


def _complete(
    item: ChecklistItem,
    status: ChecklistItemStatus,
    note: str,
    reviewer_id: int | None,
    at: datetime,
) -> None:
    item.status = status
    item.note = note
    item.reviewer_id = reviewer_id
    item.reviewed_at = at
    item.updated_at = at


def _how_it_passes(definition: ItemDefinition) -> str:
    return {
        "NETWORK_CONNECTIVITY": "it passes when the applicant's own API token calls the "
        "connectivity-test endpoint",
        "MARKET_PROFICIENCY_EXAM": "it passes when an exam attempt passes",
        "APPLICATION_ACCESS": "it passes when the organisation has a user access administrator",
        "SC_AGREEMENT": "it passes when the executed SC Agreement is recorded",
        "METER_SERVICE_AGREEMENT": "it passes when the executed Meter Service Agreement is "
        "recorded",
    }.get(definition.code, "it is recorded by the ISO")


def pass_automatic_item(
    session: Session, application: ScApplication, code: str, note: str, at: datetime
) -> ChecklistItem:
    """Mark an AUTOMATIC item passed by the platform's own check (no human reviewer)."""
    _require_in_certification(application)
    item = checklist_item(session, application, code)
    if DEFINITIONS[code].check != CheckKind.AUTOMATIC:
        raise Conflict(f"{code} is not checked automatically")
    if item.status not in DONE:
        _complete(item, ChecklistItemStatus.ACCEPTED, note, None, at)
        application.last_activity_at = at
    return item


def refresh_access_item(
    session: Session, application: ScApplication, at: datetime
) -> ChecklistItem:
    """Check that the applicant organisation has an active user access administrator."""
    organisation_id = application.scheduling_coordinator.organisation_id
    uaa = session.scalar(
        select(Person)
        .join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(
            Person.organisation_id == organisation_id,
            Person.active.is_(True),
            RoleGrant.role == Role.USER_ACCESS_ADMINISTRATOR,
        )
        .limit(1)
    )
    item = checklist_item(session, application, "APPLICATION_ACCESS")
    if uaa is not None:
        pass_automatic_item(
            session,
            application,
            "APPLICATION_ACCESS",
            f"user access administrator: {uaa.email}",
            at,
        )
    return item


def record_agreement(
    session: Session,
    actor: Principal,
    application: ScApplication,
    kind: AgreementKind,
    signed_on: date,
    document: Document,
    clock: Clock,
) -> Agreement:
    """Record an executed agreement with its signed date and document."""
    authorize(actor, Action.MANAGE_CHECKLIST)
    coordinator_id = application.scheduling_coordinator_id
    if (
        session.scalar(
            select(Agreement).where(
                Agreement.scheduling_coordinator_id == coordinator_id, Agreement.kind == kind
            )
        )
        is not None
    ):
        raise Conflict(f"the {kind.value} is already recorded")
    now = clock.now()
    agreement = Agreement(
        scheduling_coordinator_id=coordinator_id,
        kind=kind,
        signed_on=signed_on,
        document_id=document.id,
    )
    session.add(agreement)
    session.flush()
    if application.scheduling_coordinator.status == ScStatus.IN_CERTIFICATION:
        pass_automatic_item(
            session,
            application,
            AGREEMENT_ITEMS[kind],
            f"signed {signed_on.isoformat()}, document {document.filename}",
            now,
        )
    record_audit(
        session,
        actor=actor,
        action="agreement.record",
        object_type="agreement",
        object_id=str(agreement.id),
        details={"kind": kind.value, "signed_on": signed_on.isoformat()},
        clock=clock,
    )
    return agreement


def outstanding_items(application: ScApplication) -> list[ChecklistItem]:
    """Items not yet accepted (or not applicable), in checklist order."""
    return [item for item in application.checklist if item.status not in DONE]
