"""The SC application, both sides of the counter.

The applicant fills in the form, follows its progress, uploads evidence and
is told how to pass the connectivity test; the ISO works through the queue:
fee, completeness review, specialist, checklist, agreements, certification.
Every action is one service function of ``gridmarket.participants``, which
checks who may do it; a refusal is shown above the form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from gridmarket.access.models import Person
from gridmarket.access.policy import Action, authorize
from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep
from gridmarket.config import MarketParameters
from gridmarket.errors import Conflict, InvalidInput, NotFound
from gridmarket.participants import applications, certification, checklist, lifecycle
from gridmarket.participants.applications import ApplicationForm
from gridmarket.participants.checklist import DONE, CheckKind
from gridmarket.participants.documents import store_document
from gridmarket.participants.lifecycle import ALLOWED_TRANSITIONS
from gridmarket.participants.models import (
    AgreementKind,
    ChecklistItem,
    ChecklistItemStatus,
    Document,
    EntityType,
    ScApplication,
    ScStatus,
)
from gridmarket.participants.queries import application_queue, certification_specialists
from gridmarket.web.csrf import checked_form
from gridmarket.web.forms import (
    Problem,
    attempt,
    chosen_files,
    parse_date,
    parse_decimal,
    parse_int,
    read_upload,
    text,
    validation_problems,
)
from gridmarket.web.rendering import download, render, see_other
from gridmarket.web.viewer import Viewer, ViewerDep

router = APIRouter(include_in_schema=False)
CheckedForm = Annotated[FormData, Depends(checked_form)]

TEXT_FIELDS = (
    "legal_name",
    "street_address",
    "city",
    "region",
    "postal_code",
    "country",
    "state_of_incorporation",
    "proposed_start_date",
    "entity_type",
    "scheduling_agent_name",
)
CUSTOMER_KINDS = (
    ("represents_generators", "Generators"),
    ("represents_loads", "Loads"),
    ("represents_imports_exports", "Imports and exports"),
    ("virtual_trading_only", "Virtual trading only"),
)
YES_NO_FIELDS = ("uses_scheduling_agent", "has_sc_metered_entities")
CHECK_KIND_TEXT = {
    CheckKind.EVIDENCE: "Evidence from the applicant, reviewed by the ISO",
    CheckKind.ISO_RECORDED: "Recorded by the ISO",
    CheckKind.AUTOMATIC: "Checked by the platform",
}


# --- reads ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistRow:
    item: ChecklistItem
    how: str
    reviewer: str | None
    applicant_may_submit: bool
    iso_may_review: bool


def _checklist_rows(
    session: Session, viewer: Viewer, application: ScApplication
) -> list[ChecklistRow]:
    # Forms are offered only where the service would accept them; the service still decides.
    in_certification = application.scheduling_coordinator.status == ScStatus.IN_CERTIFICATION
    applicant = not viewer.is_iso and viewer.may(Action.SUBMIT_APPLICATION)
    reviewer = viewer.may(Action.MANAGE_CHECKLIST)
    rows = []
    for item in application.checklist:
        check = checklist.DEFINITIONS[item.code].check
        person = session.get(Person, item.reviewer_id) if item.reviewer_id else None
        rows.append(
            ChecklistRow(
                item=item,
                how=CHECK_KIND_TEXT[check],
                reviewer=person.email if person else None,
                applicant_may_submit=applicant
                and in_certification
                and check == CheckKind.EVIDENCE
                and item.status != ChecklistItemStatus.ACCEPTED,
                iso_may_review=reviewer
                and in_certification
                and (
                    (check == CheckKind.EVIDENCE and item.status == ChecklistItemStatus.SUBMITTED)
                    or (check == CheckKind.ISO_RECORDED and item.status not in DONE)
                ),
            )
        )
    return rows


def _may_move_to(application: ScApplication, status: ScStatus) -> bool:
    return status in ALLOWED_TRANSITIONS[application.scheduling_coordinator.status]


def _application_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    parameters: MarketParameters,
    application_id: int,
    *,
    problem: Problem | None = None,
) -> Response:
    application = applications.visible_application(session, viewer.principal, application_id)
    status = application.scheduling_coordinator.status
    items = {item.code: item for item in application.checklist}
    connectivity = items.get("NETWORK_CONNECTIVITY")
    context: dict[str, Any] = {
        "application": application,
        "status": status,
        "history": lifecycle.history(session, application.scheduling_coordinator),
        "rows": _checklist_rows(session, viewer, application),
        "specialist": session.get(Person, application.certification_specialist_id)
        if application.certification_specialist_id
        else None,
        "problem": problem,
        "fee_usd": parameters.participants.application_fee_usd,
        "upload_limit_bytes": parameters.access.upload_limit_bytes,
        "connectivity_open": connectivity is not None and connectivity.status not in DONE,
        "connectivity_url": f"{request.base_url}api/v1/applications/{application.id}"
        "/connectivity-test",
        "exam_item": items.get("MARKET_PROFICIENCY_EXAM"),
        "is_applicant_side": not viewer.is_iso,
        "may_review": viewer.may(Action.REVIEW_APPLICATION),
        "may_manage_checklist": viewer.may(Action.MANAGE_CHECKLIST),
        "may_certify": viewer.may(Action.CERTIFY_SC),
        "may_apply": viewer.may(Action.SUBMIT_APPLICATION),
        "can_start_review": _may_move_to(application, ScStatus.UNDER_REVIEW)
        and status != ScStatus.INCOMPLETE,
        "can_conclude_review": status == ScStatus.UNDER_REVIEW,
        "can_open_certification": _may_move_to(application, ScStatus.IN_CERTIFICATION),
        "can_certify": _may_move_to(application, ScStatus.CERTIFIED),
        "can_withdraw": _may_move_to(application, ScStatus.WITHDRAWN),
        "specialists": certification_specialists(session) if viewer.is_iso else [],
        "agreement_kinds": list(AgreementKind),
        "outstanding": checklist.outstanding_items(application),
    }
    return render(
        request,
        "application.html",
        context,
        viewer=viewer,
        status_code=problem.status_code if problem else 200,
    )


# --- the queue and the form -------------------------------------------------------------------


@router.get("/applications")
def queue(request: Request, viewer: ViewerDep, session: SessionDep) -> Response:
    """The ISO's application queue; an applicant is taken to its own application."""
    if not viewer.is_iso:
        own = viewer.application_id
        target = f"/applications/{own}" if own else "/applications/new"
        return RedirectResponse(target, status_code=303)
    authorize(viewer.principal, Action.REVIEW_APPLICATION)
    return render(
        request, "applications.html", {"applications": application_queue(session)}, viewer=viewer
    )


def _form_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {name: text(form, name) for name in TEXT_FIELDS}
    values["scid_choices"] = [
        choice.strip().upper() if isinstance(choice, str) else ""
        for choice in form.getlist("scid_choices")
    ]
    for name, _label in CUSTOMER_KINDS:
        values[name] = form.get(name) == "yes"
    for name in YES_NO_FIELDS:
        values[name] = {"yes": True, "no": False}.get(text(form, name))
    return values


def _parse_application_form(values: dict[str, Any]) -> ApplicationForm | dict[str, str]:
    fields = dict(values)
    if not values.get("uses_scheduling_agent") or not values.get("scheduling_agent_name"):
        fields.pop("scheduling_agent_name", None)
    try:
        return ApplicationForm(**fields)
    except ValidationError as error:
        return validation_problems(error)


def _form_page(
    request: Request,
    viewer: Viewer,
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    application: ScApplication | None = None,
) -> Response:
    return render(
        request,
        "application_form.html",
        {
            "values": values,
            "errors": errors,
            "application": application,
            "entity_types": list(EntityType),
            "customer_kinds": CUSTOMER_KINDS,
        },
        viewer=viewer,
        status_code=422 if errors else 200,
    )


@router.get("/applications/new")
def new_application(request: Request, viewer: ViewerDep) -> Response:
    """The SC application form of rulebook §2."""
    if viewer.application_id is not None:
        return RedirectResponse(f"/applications/{viewer.application_id}", status_code=303)
    authorize(viewer.principal, Action.SUBMIT_APPLICATION)
    if not viewer.is_applicant:
        # The service refuses the form of a non-applicant; say so before it is filled in.
        raise Conflict("only an applicant organisation can apply to become an SC")
    values = {"legal_name": viewer.organisation_name, "scid_choices": ["", "", ""]}
    return _form_page(request, viewer, values, {})


@router.post("/applications/new")
def submit_application(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """File the form; every wrong field is named beside it."""
    values = _form_values(form)
    parsed = _parse_application_form(values)
    if isinstance(parsed, dict):
        return _form_page(request, viewer, values, parsed)
    outcome = attempt(
        session,
        lambda: applications.submit_application(
            session, viewer.principal, parsed, parameters, clock
        ),
    )
    if isinstance(outcome, Problem):
        return _form_page(request, viewer, values, {outcome.field or "form": outcome.message})
    return see_other(
        request,
        f"/applications/{outcome.id}",
        f"Application received. The ISO answers on completeness by "
        f"{outcome.completeness_due_on:%d %b %Y}.",
    )


def _stored_values(application: ScApplication) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: getattr(application, name) for name in TEXT_FIELDS if hasattr(application, name)
    }
    values["proposed_start_date"] = application.proposed_start_date.isoformat()
    values["entity_type"] = application.entity_type.value
    values["scid_choices"] = [
        application.scid_choice_1,
        application.scid_choice_2,
        application.scid_choice_3,
    ]
    for name, _label in CUSTOMER_KINDS:
        values[name] = getattr(application, name)
    for name in YES_NO_FIELDS:
        values[name] = getattr(application, name)
    return values


@router.get("/applications/{application_id}/edit")
def edit_application(
    request: Request, application_id: int, viewer: ViewerDep, session: SessionDep
) -> Response:
    """The form again, filled in, to answer an INCOMPLETE finding."""
    application = applications.visible_application(session, viewer.principal, application_id)
    return _form_page(request, viewer, _stored_values(application), {}, application=application)


@router.post("/applications/{application_id}/edit")
def amend_application(
    request: Request,
    application_id: int,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """Send the corrected form; the review resumes."""
    application = applications.visible_application(session, viewer.principal, application_id)
    values = _form_values(form)
    parsed = _parse_application_form(values)
    if isinstance(parsed, dict):
        return _form_page(request, viewer, values, parsed, application=application)
    outcome = attempt(
        session,
        lambda: applications.amend_application(
            session, viewer.principal, application_id, parsed, parameters, clock
        ),
    )
    if isinstance(outcome, Problem):
        errors = {outcome.field or "form": outcome.message}
        return _form_page(request, viewer, values, errors, application=application)
    return see_other(request, f"/applications/{application_id}", "Amended application sent.")


# --- the application and its checklist -----------------------------------------------------


@router.get("/applications/{application_id}")
def application_detail(
    request: Request,
    application_id: int,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
) -> Response:
    """Status, completeness due date, checklist, and the actions open to the viewer."""
    return _application_page(request, session, viewer, parameters, application_id)


def _act(
    request: Request,
    session: Session,
    viewer: Viewer,
    parameters: MarketParameters,
    application_id: int,
    work: Callable[[], object],
    notice: str,
) -> Response:
    outcome = attempt(session, work)
    if isinstance(outcome, Problem):
        return _application_page(
            request, session, viewer, parameters, application_id, problem=outcome
        )
    return see_other(request, f"/applications/{application_id}", notice)


@router.post("/applications/{application_id}/fee")
def record_fee(
    request: Request,
    application_id: int,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """The ISO records the application fee as received."""
    return _act(
        request,
        session,
        viewer,
        parameters,
        application_id,
        lambda: applications.record_fee(
            session,
            viewer.principal,
            application_id,
            parse_decimal(text(form, "amount_usd"), "amount_usd"),
            text(form, "reference"),
            parameters,
            clock,
        ),
        "Fee recorded.",
    )


@router.post("/applications/{application_id}/review/start")
def start_review(
    request: Request,
    application_id: int,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """The ISO starts the completeness review."""
    return _act(
        request,
        session,
        viewer,
        parameters,
        application_id,
        lambda: applications.start_review(session, viewer.principal, application_id, clock),
        "Completeness review started.",
    )


@router.post("/applications/{application_id}/review/incomplete")
def mark_incomplete(
    request: Request,
    application_id: int,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """The ISO finds the application incomplete, saying what is missing."""
    return _act(
        request,
        session,
        viewer,
        parameters,
        application_id,
        lambda: applications.mark_incomplete(
            session, viewer.principal, application_id, text(form, "reason"), clock
        ),
        "Application found incomplete; the applicant has been told what is missing.",
    )


@router.post("/applications/{application_id}/review/accept")
def accept_application(
    request: Request,
    application_id: int,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """The ISO finds the application complete."""
    return _act(
        request,
        session,
        viewer,
        parameters,
        application_id,
        lambda: applications.accept_application(session, viewer.principal, application_id, clock),
        "Application accepted as complete.",
    )


@router.post("/applications/{application_id}/certification")
def begin_certification(
    request: Request,
    application_id: int,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """Assign a certification specialist, which opens the checklist."""
    return _act(
        request,
        session,
        viewer,
        parameters,
        application_id,
        lambda: applications.begin_certification(
            session,
            viewer.principal,
            application_id,
            parse_int(text(form, "specialist_person_id"), "specialist_person_id"),
            clock,
        ),
        "Certification specialist assigned; the checklist is open.",
    )


@router.post("/applications/{application_id}/withdraw")
def withdraw(
    request: Request,
    application_id: int,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """The applicant withdraws its application."""
    return _act(
        request,
        session,
        viewer,
        parameters,
        application_id,
        lambda: applications.withdraw_application(session, viewer.principal, application_id, clock),
        "Application withdrawn.",
    )


def _store_files(
    session: Session,
    viewer: Viewer,
    files: list[UploadFile],
    parameters: MarketParameters,
    at: datetime,
) -> list[Document]:
    limit = parameters.access.upload_limit_bytes
    return [
        store_document(
            session,
            filename=upload.filename or "",
            content=read_upload(upload, limit),
            declared_type=upload.content_type or "",
            organisation_id=viewer.principal.organisation_id,
            uploaded_by_id=viewer.principal.person_id,
            at=at,
            rules=parameters.access,
        )
        for upload in files
    ]


@router.post("/applications/{application_id}/checklist/{code}/evidence")
def submit_evidence(
    request: Request,
    application_id: int,
    code: str,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """The applicant uploads evidence for a checklist item (within the upload limit)."""
    application = applications.visible_application(session, viewer.principal, application_id)

    def submit() -> ChecklistItem:
        documents = _store_files(
            session, viewer, chosen_files(form, "files"), parameters, clock.now()
        )
        return checklist.submit_evidence(
            session, viewer.principal, application, code, documents, text(form, "note"), clock
        )

    return _act(
        request,
        session,
        viewer,
        parameters,
        application_id,
        submit,
        "Evidence sent for review.",
    )


@router.post("/applications/{application_id}/checklist/{code}/review")
def review_item(
    request: Request,
    application_id: int,
    code: str,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """The ISO accepts or rejects a checklist item, with a note."""
    application = applications.visible_application(session, viewer.principal, application_id)
    accept = text(form, "decision") == "accept"
    return _act(
        request,
        session,
        viewer,
        parameters,
        application_id,
        lambda: checklist.review_item(
            session, viewer.principal, application, code, accept, text(form, "note"), clock
        ),
        f"{checklist.DEFINITIONS[code].title if code in checklist.DEFINITIONS else code}: "
        f"{'accepted' if accept else 'rejected'}.",
    )


@router.post("/applications/{application_id}/agreements")
def record_agreement(
    request: Request,
    application_id: int,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """The ISO records an executed agreement with its signed document."""
    application = applications.visible_application(session, viewer.principal, application_id)

    def record() -> object:
        kind_text = text(form, "kind")
        if kind_text not in AgreementKind.__members__:
            raise InvalidInput("choose the agreement", field="kind")
        files = chosen_files(form, "file")
        if not files:
            raise InvalidInput("attach the signed agreement", field="file")
        [document] = _store_files(session, viewer, files[:1], parameters, clock.now())
        return checklist.record_agreement(
            session,
            viewer.principal,
            application,
            AgreementKind(kind_text),
            parse_date(text(form, "signed_on"), "signed_on"),
            document,
            clock,
        )

    return _act(request, session, viewer, parameters, application_id, record, "Agreement recorded.")


@router.post("/applications/{application_id}/certify")
def certify(
    request: Request,
    application_id: int,
    viewer: ViewerDep,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    """Certify the applicant; refused, naming every open item, until the checklist is done."""
    outcome = attempt(
        session,
        lambda: certification.certify(session, viewer.principal, application_id, parameters, clock),
    )
    if isinstance(outcome, Problem):
        return _application_page(
            request, session, viewer, parameters, application_id, problem=outcome
        )
    return see_other(
        request,
        f"/applications/{application_id}",
        f"Certified: the scheduling coordinator holds SCID {outcome.code}.",
    )


@router.get("/applications/{application_id}/checklist/{code}/evidence/{document_id}")
def download_evidence(
    application_id: int, code: str, document_id: int, viewer: ViewerDep, session: SessionDep
) -> Response:
    """One evidence file, to the ISO and the applicant only."""
    application = applications.visible_application(session, viewer.principal, application_id)
    item = checklist.checklist_item(session, application, code)
    for document in item.evidence:
        if document.id == document_id:
            return download(document.content, document.content_type, document.filename)
    raise NotFound(f"no evidence {document_id} for {code}", field="document_id")
