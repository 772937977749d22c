"""Written notices to SCs: raised once per natural key, so daily jobs can run twice."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.participants.models import Notice


def raise_notice(
    session: Session,
    *,
    scheduling_coordinator_id: int | None,
    kind: str,
    subject: str,
    body: str,
    dedupe_key: str,
) -> Notice:
    """Raise a notice unless one with ``dedupe_key`` exists; return the notice either way.

    Example::

        raise_notice(session, scheduling_coordinator_id=3, kind="OFFICER_CERTIFICATION_LATE",
                     subject="Annual officer certification overdue", body="...",
                     dedupe_key="officer-cert-late:3:2021")
    """
    existing = session.scalar(select(Notice).where(Notice.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    notice = Notice(
        scheduling_coordinator_id=scheduling_coordinator_id,
        kind=kind,
        subject=subject,
        body=body,
        dedupe_key=dedupe_key,
    )
    session.add(notice)
    session.flush()
    return notice


def notices_for(session: Session, scheduling_coordinator_id: int) -> list[Notice]:
    """The SC's notices and those to all SCs, newest first."""
    return list(
        session.scalars(
            select(Notice)
            .where(
                (Notice.scheduling_coordinator_id == scheduling_coordinator_id)
                | Notice.scheduling_coordinator_id.is_(None)
            )
            .order_by(Notice.created_at.desc(), Notice.id.desc())
        )
    )
