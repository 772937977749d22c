"""Scheduling coordinators: applications, checklist, exam, certification, obligations.

Thin: parse, authorise (inside the service functions, through the access
policy), call one service function, commit, render.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile, status
from pydantic import BaseModel
from sqlalchemy.orm import Session

from gridmarket.access.principal import Principal
from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep, CurrentPrincipal
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.dates import IsoDate
from gridmarket.errors import NotFound
from gridmarket.participants import (
    applications,
    certification,
    checklist,
    exam,
    lifecycle,
    obligations,
    standing,
)
from gridmarket.participants.applications import ApplicationForm
from gridmarket.participants.documents import store_document
from gridmarket.participants.models import (
    AgreementKind,
    ChecklistItem,
    Document,
    Obligation,
    ScApplication,
    SchedulingCoordinator,
)
from gridmarket.participants.notices import notices_for
from gridmarket.participants.queries import applications_visible_to, coordinators_visible_to
from gridmarket.participants.registration import Registration, register_applicant
from gridmarket.participants.visibility import require_own_organisation

router = APIRouter(prefix="/api/v1", tags=["scheduling coordinators"])


class ChecklistItemOut(BaseModel):
    code: str
    title: str
    owner: str
    status: str
    note: str
    evidence: list[str]
    reviewer_id: int | None
    reviewed_at: datetime | None


class ApplicationOut(BaseModel):
    id: int
    scheduling_coordinator_id: int
    legal_name: str
    status: str
    scid_choices: list[str]
    received_at: datetime
    completeness_due_on: date
    fee_paid: bool
    certification_specialist_id: int | None
    checklist: list[ChecklistItemOut]


class TransitionOut(BaseModel):
    from_status: str | None
    to_status: str
    actor_id: int | None
    reason: str
    at: datetime


class FeeIn(BaseModel):
    amount_usd: Decimal
    reference: str


class ReasonIn(BaseModel):
    reason: str


class SpecialistIn(BaseModel):
    specialist_person_id: int


class ReviewIn(BaseModel):
    accept: bool
    note: str = ""


class QuestionOut(BaseModel):
    id: str
    text: str
    options: list[str]


class AttemptStartedOut(BaseModel):
    attempt_id: int
    started_at: datetime
    questions: list[QuestionOut]


class AnswersIn(BaseModel):
    answers: dict[str, int]


class AttemptOut(BaseModel):
    attempt_id: int
    score_percent: int | None
    passed: bool | None
    submitted_at: datetime | None


class ScidIn(BaseModel):
    code: str


class ScidOut(BaseModel):
    code: str
    granted_on: date


class CoordinatorOut(BaseModel):
    id: int
    legal_name: str
    status: str
    certified_on: date | None
    scids: list[str]


class MaterialChangeIn(BaseModel):
    change_date: IsoDate
    description: str


class AccountChangeIn(BaseModel):
    effective_date: IsoDate
    description: str


class ObligationOut(BaseModel):
    id: int
    kind: str
    reference_date: date
    due_on: date
    filed_at: datetime | None
    filed_late: bool


class NoticeOut(BaseModel):
    id: int
    kind: str
    subject: str
    body: str
    created_at: datetime


def _item_out(item: ChecklistItem) -> ChecklistItemOut:
    return ChecklistItemOut(
        code=item.code,
        title=item.title,
        owner=item.owner,
        status=item.status.value,
        note=item.note,
        evidence=[d.filename for d in item.evidence],
        reviewer_id=item.reviewer_id,
        reviewed_at=item.reviewed_at,
    )


def _application_out(application: ScApplication) -> ApplicationOut:
    return ApplicationOut(
        id=application.id,
        scheduling_coordinator_id=application.scheduling_coordinator_id,
        legal_name=application.legal_name,
        status=application.scheduling_coordinator.status.value,
        scid_choices=[
            application.scid_choice_1,
            application.scid_choice_2,
            application.scid_choice_3,
        ],
        received_at=application.received_at,
        completeness_due_on=application.completeness_due_on,
        fee_paid=application.fee_paid_at is not None,
        certification_specialist_id=application.certification_specialist_id,
        checklist=[_item_out(item) for item in application.checklist],
    )


def _coordinator_out(coordinator: SchedulingCoordinator) -> CoordinatorOut:
    return CoordinatorOut(
        id=coordinator.id,
        legal_name=coordinator.legal_name,
        status=coordinator.status.value,
        certified_on=coordinator.certified_on,
        scids=sorted(s.code for s in coordinator.scids),
    )


async def _store_uploads(
    session: Session,
    principal: Principal,
    files: list[UploadFile],
    parameters: MarketParameters,
    clock: Clock,
) -> list[Document]:
    documents = []
    for upload in files:
        # Read one byte past the limit: enough to refuse an oversize file without reading it all.
        content = await upload.read(parameters.access.upload_limit_bytes + 1)
        documents.append(
            store_document(
                session,
                filename=upload.filename or "",
                content=content,
                declared_type=upload.content_type or "",
                organisation_id=principal.organisation_id,
                uploaded_by_id=principal.person_id,
                at=clock.now(),
                rules=parameters.access,
            )
        )
    return documents


class RegisteredOut(BaseModel):
    organisation_id: int
    person_id: int
    email: str


@router.post("/registrations", response_model=RegisteredOut, status_code=status.HTTP_201_CREATED)
def register(
    body: Registration, session: SessionDep, parameters: ParametersDep, clock: ClockDep
) -> RegisteredOut:
    """Register a new market entrant (no login): an applicant organisation and its UAA."""
    person = register_applicant(session, body, parameters.access, clock)
    session.commit()
    return RegisteredOut(
        organisation_id=person.organisation_id, person_id=person.id, email=person.email
    )


@router.post("/applications", response_model=ApplicationOut, status_code=status.HTTP_201_CREATED)
def submit_application(
    form: ApplicationForm,
    principal: CurrentPrincipal,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
) -> ApplicationOut:
    """File the SC application form of the caller's (applicant) organisation."""
    application = applications.submit_application(session, principal, form, parameters, clock)
    session.commit()
    return _application_out(application)


@router.get("/applications", response_model=list[ApplicationOut])
def list_applications(principal: CurrentPrincipal, session: SessionDep) -> list[ApplicationOut]:
    """ISO certification staff see every application; an applicant sees its own."""
    return [_application_out(a) for a in applications_visible_to(session, principal)]


@router.get("/applications/{application_id}", response_model=ApplicationOut, responses={404: {}})
def get_application(
    application_id: int, principal: CurrentPrincipal, session: SessionDep
) -> ApplicationOut:
    """One application with its checklist and completeness due date."""
    return _application_out(applications.visible_application(session, principal, application_id))


@router.put("/applications/{application_id}", response_model=ApplicationOut)
def amend_application(
    application_id: int,
    form: ApplicationForm,
    principal: CurrentPrincipal,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
) -> ApplicationOut:
    """Answer an INCOMPLETE finding with a corrected form."""
    application = applications.amend_application(
        session, principal, application_id, form, parameters, clock
    )
    session.commit()
    return _application_out(application)


@router.post("/applications/{application_id}/fee", response_model=ApplicationOut)
def record_fee(
    application_id: int,
    fee: FeeIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
) -> ApplicationOut:
    """Record the application fee as received."""
    application = applications.record_fee(
        session, principal, application_id, fee.amount_usd, fee.reference, parameters, clock
    )
    session.commit()
    return _application_out(application)


@router.post("/applications/{application_id}/review/start", response_model=ApplicationOut)
def start_review(
    application_id: int, principal: CurrentPrincipal, session: SessionDep, clock: ClockDep
) -> ApplicationOut:
    """Start the completeness review."""
    application = applications.start_review(session, principal, application_id, clock)
    session.commit()
    return _application_out(application)


@router.post("/applications/{application_id}/review/incomplete", response_model=ApplicationOut)
def mark_incomplete(
    application_id: int,
    body: ReasonIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
) -> ApplicationOut:
    """Find the application incomplete, saying what is missing."""
    application = applications.mark_incomplete(
        session, principal, application_id, body.reason, clock
    )
    session.commit()
    return _application_out(application)


@router.post("/applications/{application_id}/review/accept", response_model=ApplicationOut)
def accept_application(
    application_id: int, principal: CurrentPrincipal, session: SessionDep, clock: ClockDep
) -> ApplicationOut:
    """Find the application complete."""
    application = applications.accept_application(session, principal, application_id, clock)
    session.commit()
    return _application_out(application)


@router.post("/applications/{application_id}/certification", response_model=ApplicationOut)
def begin_certification(
    application_id: int,
    body: SpecialistIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
) -> ApplicationOut:
    """Assign a certification specialist and open the checklist."""
    application = applications.begin_certification(
        session, principal, application_id, body.specialist_person_id, clock
    )
    session.commit()
    return _application_out(application)


@router.post("/applications/{application_id}/withdraw", response_model=ApplicationOut)
def withdraw(
    application_id: int, principal: CurrentPrincipal, session: SessionDep, clock: ClockDep
) -> ApplicationOut:
    """Withdraw the application."""
    application = applications.withdraw_application(session, principal, application_id, clock)
    session.commit()
    return _application_out(application)


@router.post(
    "/applications/{application_id}/checklist/{code}/evidence", response_model=ChecklistItemOut
)
async def submit_evidence(
    application_id: int,
    code: str,
    principal: CurrentPrincipal,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    files: Annotated[list[UploadFile], File()] = [],  # noqa: B006 - FastAPI's form default
    note: Annotated[str, Form()] = "",
) -> ChecklistItemOut:
    """Upload evidence for a checklist item (PDF, PNG, JPEG or text; within the upload limit)."""
    application = applications.visible_application(session, principal, application_id)
    documents = await _store_uploads(session, principal, files, parameters, clock)
    item = checklist.submit_evidence(session, principal, application, code, documents, note, clock)
    session.commit()
    return _item_out(item)


@router.post(
    "/applications/{application_id}/checklist/{code}/review", response_model=ChecklistItemOut
)
def review_item(
    application_id: int,
    code: str,
    body: ReviewIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
) -> ChecklistItemOut:
    """Accept or reject a checklist item (ISO)."""
    application = applications.visible_application(session, principal, application_id)
    item = checklist.review_item(
        session, principal, application, code, body.accept, body.note, clock
    )
    session.commit()
    return _item_out(item)


@router.post("/applications/{application_id}/agreements", response_model=ApplicationOut)
async def record_agreement(
    application_id: int,
    principal: CurrentPrincipal,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    kind: Annotated[AgreementKind, Form()],
    signed_on: Annotated[IsoDate, Form()],
    file: Annotated[UploadFile, File()],
) -> ApplicationOut:
    """Record an executed SC Agreement or Meter Service Agreement with its document."""
    application = applications.visible_application(session, principal, application_id)
    [document] = await _store_uploads(session, principal, [file], parameters, clock)
    checklist.record_agreement(session, principal, application, kind, signed_on, document, clock)
    session.commit()
    return _application_out(application)


@router.post("/applications/{application_id}/connectivity-test", response_model=ApplicationOut)
def connectivity_test(
    application_id: int,
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
) -> ApplicationOut:
    """Call this with the applicant's own API token to pass the connectivity checklist item."""
    with_token = request.headers.get("authorization") is not None
    application = certification.record_connectivity_test(
        session, principal, application_id, with_token, clock
    )
    session.commit()
    return _application_out(application)


@router.post(
    "/applications/{application_id}/exam/attempts",
    response_model=AttemptStartedOut,
    status_code=status.HTTP_201_CREATED,
)
def start_exam(
    application_id: int,
    principal: CurrentPrincipal,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
) -> AttemptStartedOut:
    """Start a market proficiency exam attempt; the questions come without answers."""
    attempt, questions = exam.start_attempt(session, principal, application_id, parameters, clock)
    session.commit()
    return AttemptStartedOut(
        attempt_id=attempt.id,
        started_at=attempt.started_at,
        questions=[QuestionOut(id=q.id, text=q.text, options=list(q.options)) for q in questions],
    )


@router.post("/exam/attempts/{attempt_id}/answers", response_model=AttemptOut)
def submit_exam(
    attempt_id: int,
    body: AnswersIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
) -> AttemptOut:
    """Submit the answers (question id → option index) and get the score."""
    attempt = exam.submit_answers(session, principal, attempt_id, body.answers, parameters, clock)
    session.commit()
    return AttemptOut(
        attempt_id=attempt.id,
        score_percent=attempt.score_percent,
        passed=attempt.passed,
        submitted_at=attempt.submitted_at,
    )


@router.post("/applications/{application_id}/certify", response_model=ScidOut)
def certify(
    application_id: int,
    principal: CurrentPrincipal,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
) -> ScidOut:
    """Certify the applicant (every checklist item done) and grant its SCID."""
    scid = certification.certify(session, principal, application_id, parameters, clock)
    session.commit()
    return ScidOut(code=scid.code, granted_on=scid.granted_on)


def _visible_coordinator(
    session: Session, principal: Principal, coordinator_id: int
) -> SchedulingCoordinator:
    coordinator = session.get(SchedulingCoordinator, coordinator_id)
    if coordinator is None:
        raise NotFound(f"no scheduling coordinator {coordinator_id}", field="coordinator_id")
    require_own_organisation(
        principal,
        coordinator.organisation_id,
        action="scheduling_coordinator.view",
        object_type="scheduling_coordinator",
        object_id=coordinator_id,
    )
    return coordinator


@router.get("/scheduling-coordinators", response_model=list[CoordinatorOut])
def list_coordinators(principal: CurrentPrincipal, session: SessionDep) -> list[CoordinatorOut]:
    """The SC registry for ISO staff; an SC's people see their own SC."""
    return [_coordinator_out(c) for c in coordinators_visible_to(session, principal)]


@router.get("/scheduling-coordinators/{coordinator_id}/history", response_model=list[TransitionOut])
def coordinator_history(
    coordinator_id: int, principal: CurrentPrincipal, session: SessionDep
) -> list[TransitionOut]:
    """Every status change: who, when and why."""
    coordinator = _visible_coordinator(session, principal, coordinator_id)
    return [
        TransitionOut(
            from_status=t.from_status.value if t.from_status else None,
            to_status=t.to_status.value,
            actor_id=t.actor_id,
            reason=t.reason,
            at=t.at,
        )
        for t in lifecycle.history(session, coordinator)
    ]


@router.get("/scheduling-coordinators/{coordinator_id}/notices", response_model=list[NoticeOut])
def coordinator_notices(
    coordinator_id: int, principal: CurrentPrincipal, session: SessionDep
) -> list[NoticeOut]:
    """Notices to the SC, newest first."""
    coordinator = _visible_coordinator(session, principal, coordinator_id)
    return [
        NoticeOut(id=n.id, kind=n.kind, subject=n.subject, body=n.body, created_at=n.created_at)
        for n in notices_for(session, coordinator.id)
    ]


@router.post(
    "/scheduling-coordinators/{coordinator_id}/scids",
    response_model=ScidOut,
    status_code=status.HTTP_201_CREATED,
)
def grant_scid(
    coordinator_id: int,
    body: ScidIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
) -> ScidOut:
    """Grant a further SCID to a certified SC."""
    scid = certification.grant_additional_scid(
        session, principal, coordinator_id, body.code, parameters, clock
    )
    session.commit()
    return ScidOut(code=scid.code, granted_on=scid.granted_on)


def _obligation_out(obligation: Obligation) -> ObligationOut:
    return ObligationOut(
        id=obligation.id,
        kind=obligation.kind.value,
        reference_date=obligation.reference_date,
        due_on=obligation.due_on,
        filed_at=obligation.filed_at,
        filed_late=obligation.filed_late,
    )


@router.post(
    "/scheduling-coordinators/{coordinator_id}/material-changes",
    response_model=ObligationOut,
    status_code=status.HTTP_201_CREATED,
)
def report_material_change(
    coordinator_id: int,
    body: MaterialChangeIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
) -> ObligationOut:
    """Report a material change (due within the configured business days)."""
    report = obligations.report_material_change(
        session,
        principal,
        coordinator_id,
        body.change_date,
        body.description,
        None,
        parameters,
        clock,
    )
    session.commit()
    return _obligation_out(report)


@router.post(
    "/scheduling-coordinators/{coordinator_id}/account-changes",
    response_model=ObligationOut,
    status_code=status.HTTP_201_CREATED,
)
def request_account_change(
    coordinator_id: int,
    body: AccountChangeIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
) -> ObligationOut:
    """Request an account change effective far enough ahead."""
    request = obligations.request_account_change(
        session, principal, coordinator_id, body.effective_date, body.description, parameters, clock
    )
    session.commit()
    return _obligation_out(request)


@router.post(
    "/scheduling-coordinators/{coordinator_id}/officer-certifications", response_model=ObligationOut
)
async def file_officer_certification(
    coordinator_id: int,
    principal: CurrentPrincipal,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    year: Annotated[int, Form()],
    file: Annotated[UploadFile, File()],
) -> ObligationOut:
    """File the annual officer certification."""
    _visible_coordinator(session, principal, coordinator_id)
    [document] = await _store_uploads(session, principal, [file], parameters, clock)
    filing = obligations.file_officer_certification(
        session, principal, coordinator_id, year, document, parameters, clock
    )
    session.commit()
    return _obligation_out(filing)


@router.post("/scheduling-coordinators/{coordinator_id}/reinstate", response_model=CoordinatorOut)
def reinstate(
    coordinator_id: int,
    principal: CurrentPrincipal,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
) -> CoordinatorOut:
    """Reinstate a suspended SC once every suspension trigger is cured."""
    today = MarketCalendar(parameters).trade_date_of(clock.now())
    coordinator = standing.reinstate(session, principal, coordinator_id, today, parameters, clock)
    session.commit()
    return _coordinator_out(coordinator)


@router.post("/scheduling-coordinators/{coordinator_id}/terminate", response_model=CoordinatorOut)
def terminate(
    coordinator_id: int,
    body: ReasonIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
) -> CoordinatorOut:
    """Terminate the SC Agreement (no resource assigned, nothing owed)."""
    coordinator = standing.terminate(session, principal, coordinator_id, body.reason, clock)
    session.commit()
    return _coordinator_out(coordinator)
