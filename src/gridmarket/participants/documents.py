"""Uploaded and generated files (evidence, agreements, plans), kept in the database.

Uploads are checked before anything is stored: size within the rulebook's
upload limit, and content that really is one of the accepted types (the
bytes are sniffed; the declared content type and file name are not trusted).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.orm import Session

from gridmarket.config import AccessRules
from gridmarket.errors import InvalidInput
from gridmarket.participants.models import Document

# Magic bytes of the file types accepted as evidence.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
TEXT_TYPES = frozenset({"text/plain", "text/csv"})


def sniff_content_type(content: bytes) -> str | None:
    """The type the bytes really are, or None if not an accepted type.

    Example::

        >>> sniff_content_type(b"%PDF-1.7 ...")
        'application/pdf'
    """
    for content_type, signatures in SIGNATURES.items():
        if content.startswith(signatures):
            return content_type
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/plain" if "\x00" not in text else None


def store_document(
    session: Session,
    *,
    filename: str,
    content: bytes,
    declared_type: str,
    organisation_id: int | None,
    uploaded_by_id: int | None,
    at: datetime,
    rules: AccessRules,
    allowed_types: frozenset[str] | None = None,
) -> Document:
    """Check an upload and store it; a refused upload stores nothing.

    Example::

        doc = store_document(session, filename="plan.pdf", content=pdf_bytes,
                             declared_type="application/pdf", organisation_id=4,
                             uploaded_by_id=9, at=now, rules=params.access)
    """
    if not filename or len(filename) > 200 or "/" in filename or "\\" in filename:
        raise InvalidInput(f"file name {filename!r} is not a plain file name", field="file")
    if not content:
        raise InvalidInput(f"{filename} is empty", field="file")
    if len(content) > rules.upload_limit_bytes:
        # Callers may read only one byte past the limit, so the size is not known here.
        raise InvalidInput(
            f"{filename} is larger than the upload limit of {rules.upload_limit_bytes:,} bytes",
            field="file",
        )
    accepted = allowed_types or frozenset(SIGNATURES) | TEXT_TYPES
    actual_type = sniff_content_type(content)
    declared = declared_type.split(";")[0].strip().lower()
    if actual_type == "text/plain" and declared in TEXT_TYPES:
        actual_type = declared
    if actual_type is None or actual_type not in accepted:
        names = ", ".join(sorted(accepted))
        raise InvalidInput(f"{filename} is not an accepted file type ({names})", field="file")
    document = Document(
        filename=filename,
        content_type=actual_type,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        organisation_id=organisation_id,
        uploaded_by_id=uploaded_by_id,
        uploaded_at=at,
    )
    session.add(document)
    session.flush()
    return document
