"""PDF uploads for transfers, certifications and loss-eligibility applications.

Every upload of these areas is a PDF within the rulebook's upload limit; the
checks (size, magic bytes) are those of :mod:`gridmarket.participants.documents`.
A refused upload stores nothing and its error names what the file was for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from gridmarket.config import AccessRules
from gridmarket.errors import InvalidInput
from gridmarket.participants.documents import store_document
from gridmarket.participants.models import Document

PDF = "application/pdf"


@dataclass(frozen=True)
class UploadedFile:
    """A file as received from the caller; nothing about it is trusted yet."""

    filename: str
    content: bytes
    content_type: str = PDF


def store_pdf(
    session: Session,
    upload: UploadedFile,
    *,
    purpose: str,
    field: str,
    organisation_id: int | None,
    uploaded_by_id: int | None,
    at: datetime,
    rules: AccessRules,
) -> Document:
    """Store ``upload`` if it is a PDF within the upload limit; otherwise refuse it.

    ``purpose`` (e.g. "New SC's acceptance letter") and ``field`` name the slot in
    the error, so the caller knows which file to fix.

    Example::

        store_pdf(session, UploadedFile("signed.pdf", data), purpose="SCID change letter",
                  field="SCID_MOVE_LETTER", organisation_id=4, uploaded_by_id=9,
                  at=now, rules=params.access)
    """
    try:
        return store_document(
            session,
            filename=upload.filename,
            content=upload.content,
            declared_type=upload.content_type,
            organisation_id=organisation_id,
            uploaded_by_id=uploaded_by_id,
            at=at,
            rules=rules,
            allowed_types=frozenset({PDF}),
        )
    except InvalidInput as refused:
        raise InvalidInput(f"{purpose}: {refused.message}", field=field) from refused
