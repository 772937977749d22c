"""The documents of a transfer: each required slot holds a generated letter or an upload.

The platform renders the letters from templates (:mod:`~gridmarket.resources.letters`)
and stores them as :class:`~gridmarket.participants.models.Document` rows; a party
replaces a generated letter by uploading the signed PDF. An upload that is too
large or not a PDF is refused with an error naming the slot, and nothing is stored.

Example::

    generate_transfer_letters(session, trader, transfer.id, clock=clock)
    attach_transfer_document(session, old_sc_trader, transfer.id,
                             TransferDocumentSlot.RELINQUISHING_SC_LETTER,
                             UploadedFile("signed.pdf", pdf_bytes), clock=clock)
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.policy import Action
from gridmarket.access.principal import Principal
from gridmarket.calendar import default_calendar
from gridmarket.clock import Clock, SystemClock
from gridmarket.config import MarketParameters
from gridmarket.errors import Conflict, InvalidInput, NotFound
from gridmarket.participants.documents import store_document
from gridmarket.participants.models import Document
from gridmarket.resources.letters import letter_fields, render_letter
from gridmarket.resources.models import (
    DocumentSource,
    ResourceTransfer,
    ResourceTransferDocument,
    TransferDocumentSlot,
    TransferStatus,
)
from gridmarket.resources.transfer_rules import SLOT_TITLES, required_slots
from gridmarket.resources.transfers import OBJECT_TYPE, get_transfer
from gridmarket.resources.uploads import PDF, UploadedFile, store_pdf


def generate_transfer_letters(
    session: Session,
    actor: Principal,
    transfer_id: int,
    *,
    clock: Clock | None = None,
    params: MarketParameters | None = None,
) -> list[ResourceTransferDocument]:
    """Render a letter for every empty slot of a submitted transfer; return all its documents.

    Slots already filled (a signed upload, or letters generated before) are kept.

    Example::

        documents = generate_transfer_letters(session, trader, 12)
        [d.slot for d in documents]   # the five slots of a change of SC
    """
    clock = clock or SystemClock()
    rules = (params or default_calendar().params).access
    transfer = get_transfer(session, actor, transfer_id, action=Action.SUBMIT_TRANSFER)
    _require_open(transfer)
    filled = {document.slot for document in transfer.documents}
    fields = letter_fields(session, transfer)
    generated = []
    for slot in required_slots(transfer.kind):
        if slot in filled:
            continue
        document = store_document(
            session,
            filename=_letter_filename(transfer, slot),
            content=render_letter(slot, fields),
            declared_type=PDF,
            organisation_id=transfer.to_scid.scheduling_coordinator.organisation_id,
            uploaded_by_id=actor.person_id,
            at=clock.now(),
            rules=rules,
            allowed_types=frozenset({PDF}),
        )
        _fill(transfer, slot, document, DocumentSource.GENERATED, actor, clock)
        generated.append(slot.value)
    session.flush()
    if generated:
        record_audit(
            session,
            actor=actor,
            action="resource_transfer.generate_letters",
            object_type=OBJECT_TYPE,
            object_id=str(transfer.id),
            details={"slots": generated},
            clock=clock,
        )
    return list(transfer.documents)


def attach_transfer_document(
    session: Session,
    actor: Principal,
    transfer_id: int,
    slot: TransferDocumentSlot,
    upload: UploadedFile,
    *,
    clock: Clock | None = None,
    params: MarketParameters | None = None,
) -> ResourceTransferDocument:
    """Fill (or replace the content of) one slot with an uploaded PDF.

    Either party may upload: the relinquishing SC its signed letter, the new SC
    the others. Refused if too large or not a PDF, with the slot named.

    Example::

        attach_transfer_document(session, trader, 12,
                                 TransferDocumentSlot.NEW_SC_ACCEPTANCE_LETTER,
                                 UploadedFile("acceptance-signed.pdf", pdf_bytes))
    """
    clock = clock or SystemClock()
    rules = (params or default_calendar().params).access
    transfer = get_transfer(session, actor, transfer_id, action=Action.SUBMIT_TRANSFER)
    _require_open(transfer)
    if slot not in required_slots(transfer.kind):
        allowed = ", ".join(s.value for s in required_slots(transfer.kind))
        raise InvalidInput(
            f"{SLOT_TITLES[slot]} is not a document of this transfer; it needs {allowed}",
            field="slot",
        )
    document = store_pdf(
        session,
        upload,
        purpose=SLOT_TITLES[slot],
        field=slot.value,
        organisation_id=actor.organisation_id,
        uploaded_by_id=actor.person_id,
        at=clock.now(),
        rules=rules,
    )
    filled = _fill(transfer, slot, document, DocumentSource.UPLOADED, actor, clock)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="resource_transfer.upload_document",
        object_type=OBJECT_TYPE,
        object_id=str(transfer.id),
        details={"slot": slot.value, "document_id": document.id, "sha256": document.sha256},
        clock=clock,
    )
    return filled


def transfer_document(
    session: Session, actor: Principal, transfer_id: int, slot: TransferDocumentSlot
) -> Document:
    """The document in one slot of a transfer the actor may see (for download).

    Example::

        pdf_bytes = transfer_document(session, trader, 12, slot).content
    """
    transfer = get_transfer(session, actor, transfer_id)
    for attached in transfer.documents:
        if attached.slot == slot:
            return attached.document
    raise NotFound(f"transfer request {transfer_id} has no {SLOT_TITLES[slot]} yet", field="slot")


def _fill(
    transfer: ResourceTransfer,
    slot: TransferDocumentSlot,
    document: Document,
    source: DocumentSource,
    actor: Principal,
    clock: Clock,
) -> ResourceTransferDocument:
    existing = next((d for d in transfer.documents if d.slot == slot), None)
    if existing is None:
        existing = ResourceTransferDocument(slot=slot)
        transfer.documents.append(existing)
    # The replaced document stays in the document table; the audit log names both.
    existing.document = document
    existing.source = source
    existing.attached_at = clock.now()
    existing.attached_by_id = actor.person_id
    return existing


def _require_open(transfer: ResourceTransfer) -> None:
    if transfer.status != TransferStatus.SUBMITTED:
        raise Conflict(
            f"transfer request {transfer.id} is {transfer.status.value.lower()}; its documents "
            f"can no longer change",
            field="status",
        )


def _letter_filename(transfer: ResourceTransfer, slot: TransferDocumentSlot) -> str:
    return f"transfer-{transfer.id}-{slot.value.lower().replace('_', '-')}.pdf"
