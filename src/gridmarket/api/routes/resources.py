"""Resources: transfers between SCIDs and their letters, Master File maintenance,
meter and telemetry certification, marginal-loss adjustment eligibility.

Thin: every route takes its caller through ``require(Action.X)``; the service
functions then check the SCID of the object (a transfer's parties, an
application's SCID) through the access policy, so another SC's object answers
404. Routes parse, call the service, commit, render.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Response, UploadFile, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.api.deps import ParametersDep, SessionDep
from gridmarket.api.security import ClockDep, require
from gridmarket.calendar import MarketCalendar
from gridmarket.dates import IsoDate
from gridmarket.errors import InvalidInput
from gridmarket.participants import loss_eligibility
from gridmarket.participants.loss_eligibility_models import (
    LossEligibilityApplication,
    LossEligibilityStatus,
)
from gridmarket.resources import certifications, master_file, transfer_documents, transfers
from gridmarket.resources.models import (
    CertificationKind,
    Resource,
    ResourceCertification,
    ResourceTransfer,
    TransferDocumentSlot,
    TransferStatus,
)
from gridmarket.resources.queries import visible_resource
from gridmarket.resources.transfer_rules import SLOT_TITLES
from gridmarket.resources.uploads import UploadedFile

router = APIRouter(prefix="/api/v1", tags=["resources"])

Submitter = Annotated[Principal, Depends(require(Action.SUBMIT_TRANSFER))]
Approver = Annotated[Principal, Depends(require(Action.APPROVE_TRANSFER))]
Viewer = Annotated[Principal, Depends(require(Action.VIEW_RESOURCE))]
Maintainer = Annotated[Principal, Depends(require(Action.MAINTAIN_MASTER_FILE))]
Certifier = Annotated[Principal, Depends(require(Action.CERTIFY_METERING))]
LossApplicant = Annotated[Principal, Depends(require(Action.SUBMIT_LOSS_ELIGIBILITY))]
LossReviewer = Annotated[Principal, Depends(require(Action.REVIEW_LOSS_ELIGIBILITY))]
LossViewer = Annotated[Principal, Depends(require(Action.VIEW_LOSS_ELIGIBILITY))]


# --- schemas ---------------------------------------------------------------------------


class TransferIn(BaseModel):
    resource_ids: list[str] = Field(min_length=1)
    from_scid: str
    to_scid: str
    effective_date: IsoDate | None = None
    """Omit for a move between two SCIDs of one SC: its date is fixed."""
    resource_owner: str
    signatory_name: str
    signatory_title: str


class TransferDocumentOut(BaseModel):
    slot: TransferDocumentSlot
    title: str
    source: str
    filename: str
    size_bytes: int
    sha256: str
    attached_at: datetime


class TransferOut(BaseModel):
    id: int
    kind: str
    status: str
    resource_ids: list[str]
    from_scid: str
    to_scid: str
    effective_date: date
    effective_from_utc: datetime
    resource_owner: str
    signatory_name: str
    signatory_title: str
    submitted_on: date
    decided_at: datetime | None
    decision_reason: str
    completed_at: datetime | None
    documents: list[TransferDocumentOut]
    missing_documents: list[TransferDocumentSlot]


class ReasonIn(BaseModel):
    reason: str


class AssignmentOut(BaseModel):
    scid: str
    effective_from_utc: datetime
    effective_to_utc: datetime | None


class ResourceUpdateIn(BaseModel):
    changes: dict[str, Any] = Field(min_length=1)
    effective_from: IsoDate
    reason: str


class ResourceChangeOut(BaseModel):
    field: str
    old_value: str | None
    new_value: str | None
    effective_from: date
    reason: str
    actor_person_id: int | None
    changed_at: datetime


class CertificationOut(BaseModel):
    kind: CertificationKind
    certified_on: date
    expires_on: date
    evidence_document_id: int | None
    note: str
    recorded_at: datetime


class CertificationsOut(BaseModel):
    resource_id: str
    on: date
    required: list[CertificationKind]
    missing: list[str]
    certifications: list[CertificationOut]


class NoticeOut(BaseModel):
    kind: str
    subject: str
    scheduling_coordinator_id: int | None


class LossEligibilityOut(BaseModel):
    id: int
    scid: str
    status: str
    items: list[str]
    justification: str
    document_ids: list[int]
    submitted_at: datetime
    effective_on: date | None
    expires_on: date | None
    rejection_reason: str


class ApprovalWindowIn(BaseModel):
    effective_on: IsoDate
    expires_on: IsoDate


class EligibleOut(BaseModel):
    scid: str
    trade_date: date
    eligible: list[str]


# --- helpers ---------------------------------------------------------------------------


def _calendar(parameters: ParametersDep) -> MarketCalendar:
    return MarketCalendar(parameters)


CalendarDep = Annotated[MarketCalendar, Depends(_calendar)]


def _transfer_out(transfer: ResourceTransfer) -> TransferOut:
    return TransferOut(
        id=transfer.id,
        kind=transfer.kind.value,
        status=transfer.status.value,
        resource_ids=[item.resource.resource_id for item in transfer.items],
        from_scid=transfer.from_scid.code,
        to_scid=transfer.to_scid.code,
        effective_date=transfer.effective_date,
        effective_from_utc=transfer.effective_from_utc,
        resource_owner=transfer.resource_owner,
        signatory_name=transfer.signatory_name,
        signatory_title=transfer.signatory_title,
        submitted_on=transfer.submitted_on,
        decided_at=transfer.decided_at,
        decision_reason=transfer.decision_reason,
        completed_at=transfer.completed_at,
        documents=[
            TransferDocumentOut(
                slot=attached.slot,
                title=SLOT_TITLES[attached.slot],
                source=attached.source.value,
                filename=attached.document.filename,
                size_bytes=attached.document.size_bytes,
                sha256=attached.document.sha256,
                attached_at=attached.attached_at,
            )
            for attached in transfer.documents
        ],
        missing_documents=transfers.missing_slots(transfer),
    )


def _certification_out(certification: ResourceCertification) -> CertificationOut:
    return CertificationOut.model_validate(certification, from_attributes=True)


def _loss_out(application: LossEligibilityApplication) -> LossEligibilityOut:
    return LossEligibilityOut(
        id=application.id,
        scid=application.scid.code,
        status=application.status.value,
        items=[item.label for item in application.items],
        justification=application.justification,
        document_ids=[document.id for document in application.documents],
        submitted_at=application.submitted_at,
        effective_on=application.effective_on,
        expires_on=application.expires_on,
        rejection_reason=application.rejection_reason,
    )


async def _read_upload(upload: UploadFile, parameters: ParametersDep) -> UploadedFile:
    # One byte past the limit is enough to refuse an oversize file without reading it all.
    content = await upload.read(parameters.access.upload_limit_bytes + 1)
    return UploadedFile(
        filename=upload.filename or "", content=content, content_type=upload.content_type or ""
    )


def _resource(session: SessionDep, resource_id: str) -> Resource:
    resource = session.scalar(select(Resource).where(Resource.resource_id == resource_id))
    if resource is None:
        raise InvalidInput(f"no resource {resource_id!r} in the Master File", field="resource_id")
    return resource


# --- transfers -------------------------------------------------------------------------


@router.post("/transfers", response_model=TransferOut, status_code=status.HTTP_201_CREATED)
def submit_transfer(
    body: TransferIn,
    principal: Submitter,
    session: SessionDep,
    clock: ClockDep,
    calendar: CalendarDep,
) -> TransferOut:
    """The new SC submits a transfer; the platform generates its letters for signature."""
    request = transfers.TransferRequest(**body.model_dump())
    transfer = transfers.submit_transfer(
        session, principal, request, clock=clock, calendar=calendar
    )
    transfer_documents.generate_transfer_letters(
        session, principal, transfer.id, clock=clock, params=calendar.params
    )
    session.commit()
    return _transfer_out(transfers.get_transfer(session, principal, transfer.id))


@router.get("/transfers", response_model=list[TransferOut])
def list_transfers(
    principal: Viewer, session: SessionDep, status: TransferStatus | None = None
) -> list[TransferOut]:
    """Transfers the caller may see: all for the ISO, its own SCIDs' for an SC."""
    return [_transfer_out(t) for t in transfers.list_transfers(session, principal, status=status)]


@router.post("/transfers/apply-due", response_model=list[TransferOut])
def apply_due_transfers(
    principal: Approver,
    session: SessionDep,
    clock: ClockDep,
    calendar: CalendarDep,
    today: IsoDate | None = None,
) -> list[TransferOut]:
    """Switch the assignments of approved transfers whose effective date has come."""
    done = transfers.apply_due_transfers(
        session, today or calendar.trade_date_of(clock.now()), clock=clock
    )
    session.commit()
    return [_transfer_out(transfers.get_transfer(session, principal, t.id)) for t in done]


@router.get("/transfers/{transfer_id}", response_model=TransferOut, responses={404: {}})
def get_transfer(transfer_id: int, principal: Viewer, session: SessionDep) -> TransferOut:
    """One transfer, to the ISO and its two parties only."""
    return _transfer_out(transfers.get_transfer(session, principal, transfer_id))


@router.post("/transfers/{transfer_id}/letters", response_model=TransferOut)
def generate_letters(
    transfer_id: int,
    principal: Submitter,
    session: SessionDep,
    clock: ClockDep,
    parameters: ParametersDep,
) -> TransferOut:
    """Render the letters of every empty document slot."""
    transfer_documents.generate_transfer_letters(
        session, principal, transfer_id, clock=clock, params=parameters
    )
    session.commit()
    return _transfer_out(transfers.get_transfer(session, principal, transfer_id))


@router.put("/transfers/{transfer_id}/documents/{slot}", response_model=TransferOut)
async def upload_document(
    transfer_id: int,
    slot: TransferDocumentSlot,
    file: Annotated[UploadFile, File()],
    principal: Submitter,
    session: SessionDep,
    clock: ClockDep,
    parameters: ParametersDep,
) -> TransferOut:
    """Fill a document slot with a signed PDF (within the upload limit)."""
    upload = await _read_upload(file, parameters)
    transfer_documents.attach_transfer_document(
        session, principal, transfer_id, slot, upload, clock=clock, params=parameters
    )
    session.commit()
    return _transfer_out(transfers.get_transfer(session, principal, transfer_id))


@router.get(
    "/transfers/{transfer_id}/documents/{slot}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, 404: {}},
)
def download_document(
    transfer_id: int, slot: TransferDocumentSlot, principal: Viewer, session: SessionDep
) -> Response:
    """The PDF in one document slot."""
    document = transfer_documents.transfer_document(session, principal, transfer_id, slot)
    return Response(
        content=document.content,
        media_type=document.content_type,
        headers={"Content-Disposition": f'attachment; filename="{document.filename}"'},
    )


@router.post("/transfers/{transfer_id}/approve", response_model=TransferOut)
def approve_transfer(
    transfer_id: int,
    principal: Approver,
    session: SessionDep,
    clock: ClockDep,
    calendar: CalendarDep,
) -> TransferOut:
    """The ISO approves a transfer whose documents are complete."""
    transfer = transfers.approve_transfer(
        session, principal, transfer_id, clock=clock, calendar=calendar
    )
    session.commit()
    return _transfer_out(transfer)


@router.post("/transfers/{transfer_id}/reject", response_model=TransferOut)
def reject_transfer(
    transfer_id: int, body: ReasonIn, principal: Approver, session: SessionDep, clock: ClockDep
) -> TransferOut:
    """The ISO rejects a transfer, with its reason."""
    transfer = transfers.reject_transfer(session, principal, transfer_id, body.reason, clock=clock)
    session.commit()
    return _transfer_out(transfer)


# --- Master File maintenance and assignment history --------------------------------------


@router.get("/resources/{resource_id}/assignments", response_model=list[AssignmentOut])
def assignment_history(
    resource_id: str, principal: Viewer, session: SessionDep, clock: ClockDep
) -> list[AssignmentOut]:
    """Every SCID that has represented the resource, with its dates, oldest first."""
    visible_resource(session, principal, resource_id, clock.now())
    return [
        AssignmentOut(
            scid=a.scid.code,
            effective_from_utc=a.effective_from_utc,
            effective_to_utc=a.effective_to_utc,
        )
        for a in transfers.assignment_history(session, resource_id)
    ]


@router.patch("/resources/{resource_id}", response_model=list[ResourceChangeOut])
def update_resource(
    resource_id: str,
    body: ResourceUpdateIn,
    principal: Maintainer,
    session: SessionDep,
    clock: ClockDep,
    parameters: ParametersDep,
) -> list[ResourceChangeOut]:
    """The ISO changes Master File fields; each changed field gets a history row."""
    rows = master_file.update_resource(
        session,
        principal,
        resource_id,
        body.changes,
        body.effective_from,
        body.reason,
        clock=clock,
        params=parameters,
    )
    session.commit()
    return [ResourceChangeOut.model_validate(row, from_attributes=True) for row in rows]


@router.get("/resources/{resource_id}/history", response_model=list[ResourceChangeOut])
def resource_history(
    resource_id: str, principal: Viewer, session: SessionDep, clock: ClockDep
) -> list[ResourceChangeOut]:
    """The Master File change history of a resource, oldest first."""
    visible_resource(session, principal, resource_id, clock.now())
    return [
        ResourceChangeOut.model_validate(row, from_attributes=True)
        for row in master_file.resource_history(session, resource_id)
    ]


# --- metering and telemetry certification ------------------------------------------------


@router.get("/resources/{resource_id}/certifications", response_model=CertificationsOut)
def resource_certifications(
    resource_id: str,
    principal: Viewer,
    session: SessionDep,
    clock: ClockDep,
    calendar: CalendarDep,
    on: IsoDate | None = None,
) -> CertificationsOut:
    """A resource's certifications, what it needs, and what it lacks on a date."""
    resource = visible_resource(session, principal, resource_id, clock.now())
    day = on or calendar.trade_date_of(clock.now())
    return CertificationsOut(
        resource_id=resource.resource_id,
        on=day,
        required=certifications.required_certifications(resource, calendar.params),
        missing=certifications.missing_certifications(
            session, resource, day, params=calendar.params
        ),
        certifications=[
            _certification_out(c) for c in certifications.certifications_of(session, resource)
        ],
    )


@router.post(
    "/resources/{resource_id}/certifications",
    response_model=CertificationOut,
    status_code=status.HTTP_201_CREATED,
)
async def record_certification(
    resource_id: str,
    kind: Annotated[CertificationKind, Form()],
    certified_on: Annotated[IsoDate, Form()],
    principal: Certifier,
    session: SessionDep,
    clock: ClockDep,
    parameters: ParametersDep,
    expires_on: Annotated[IsoDate | None, Form()] = None,
    note: Annotated[str, Form()] = "",
    evidence: Annotated[UploadFile | None, File()] = None,
) -> CertificationOut:
    """The ISO records a revenue meter or telemetry certification, with evidence (PDF)."""
    upload = await _read_upload(evidence, parameters) if evidence is not None else None
    certification = certifications.record_certification(
        session,
        principal,
        resource_id,
        kind,
        certified_on,
        expires_on,
        evidence=upload,
        note=note,
        clock=clock,
        params=parameters,
    )
    session.commit()
    return _certification_out(certification)


@router.post("/certifications/notices", response_model=list[NoticeOut])
def raise_certification_notices(
    principal: Certifier,
    session: SessionDep,
    clock: ClockDep,
    calendar: CalendarDep,
    today: IsoDate | None = None,
) -> list[NoticeOut]:
    """Notify SCs of certifications expiring soon or expired (each notice once)."""
    notices = certifications.raise_certification_notices(
        session, today or calendar.trade_date_of(clock.now()), calendar=calendar
    )
    session.commit()
    return [NoticeOut.model_validate(n, from_attributes=True) for n in notices]


# --- marginal-loss adjustment eligibility --------------------------------------------------


@router.post(
    "/loss-eligibility", response_model=LossEligibilityOut, status_code=status.HTTP_201_CREATED
)
async def apply_for_loss_eligibility(
    scid: Annotated[str, Form()],
    justification: Annotated[str, Form()],
    files: Annotated[list[UploadFile], File()],
    principal: LossApplicant,
    session: SessionDep,
    clock: ClockDep,
    calendar: CalendarDep,
    resource_ids: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI's form default
    contract_refs: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI's form default
) -> LossEligibilityOut:
    """An SC applies for marginal-loss adjustment of resources or contracts, with documents."""
    uploads = [await _read_upload(upload, calendar.params) for upload in files]
    application = loss_eligibility.apply_for_loss_eligibility(
        session,
        principal,
        scid,
        resource_ids=resource_ids,
        contract_refs=contract_refs,
        justification=justification,
        documents=uploads,
        clock=clock,
        calendar=calendar,
    )
    session.commit()
    return _loss_out(application)


@router.get("/loss-eligibility", response_model=list[LossEligibilityOut])
def list_loss_eligibility(
    principal: LossViewer, session: SessionDep, status: LossEligibilityStatus | None = None
) -> list[LossEligibilityOut]:
    """Applications the caller may see: all for the ISO, its SCIDs' for an SC."""
    return [
        _loss_out(a)
        for a in loss_eligibility.list_loss_eligibility_applications(
            session, principal, status=status
        )
    ]


@router.get("/loss-eligibility/eligible", response_model=EligibleOut)
def eligible_on(
    scid: str, trade_date: IsoDate, principal: LossViewer, session: SessionDep
) -> EligibleOut:
    """The resources and contracts of a SCID eligible for the adjustment on a trade date."""
    authorize(principal, Action.VIEW_LOSS_ELIGIBILITY, scid=scid)
    return EligibleOut(
        scid=scid,
        trade_date=trade_date,
        eligible=loss_eligibility.eligible_on(session, scid, trade_date),
    )


@router.get(
    "/loss-eligibility/{application_id}", response_model=LossEligibilityOut, responses={404: {}}
)
def get_loss_eligibility(
    application_id: int, principal: LossViewer, session: SessionDep
) -> LossEligibilityOut:
    """One application, to the ISO and the applying SC only."""
    return _loss_out(
        loss_eligibility.get_loss_eligibility_application(session, principal, application_id)
    )


@router.post("/loss-eligibility/{application_id}/approve", response_model=LossEligibilityOut)
def approve_loss_eligibility(
    application_id: int,
    body: ApprovalWindowIn,
    principal: LossReviewer,
    session: SessionDep,
    clock: ClockDep,
) -> LossEligibilityOut:
    """The ISO approves for trade dates from ``effective_on`` up to ``expires_on`` (excluded)."""
    application = loss_eligibility.approve_loss_eligibility(
        session,
        principal,
        application_id,
        effective_on=body.effective_on,
        expires_on=body.expires_on,
        clock=clock,
    )
    session.commit()
    return _loss_out(application)


@router.post("/loss-eligibility/{application_id}/reject", response_model=LossEligibilityOut)
def reject_loss_eligibility(
    application_id: int,
    body: ReasonIn,
    principal: LossReviewer,
    session: SessionDep,
    clock: ClockDep,
) -> LossEligibilityOut:
    """The ISO rejects an application, with its reason."""
    application = loss_eligibility.reject_loss_eligibility(
        session, principal, application_id, body.reason, clock=clock
    )
    session.commit()
    return _loss_out(application)
