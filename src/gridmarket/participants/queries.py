"""Read-side service functions of the participants area."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from gridmarket.participants.models import SchedulingCoordinator, Scid
from gridmarket.resources.models import ResourceAssignment


@dataclass(frozen=True)
class ScSummary:
    legal_name: str
    status: str
    scids: list[str]
    resources_assigned: int


def registry(session: Session) -> list[ScSummary]:
    """Every scheduling coordinator with its SCIDs and how many resources it represents now."""
    counts = {
        sc_id: count
        for sc_id, count in session.execute(
            select(Scid.scheduling_coordinator_id, func.count(ResourceAssignment.id))
            .join(ResourceAssignment, ResourceAssignment.scid_id == Scid.id)
            .where(ResourceAssignment.effective_to_utc.is_(None))
            .group_by(Scid.scheduling_coordinator_id)
        )
    }
    coordinators = session.scalars(
        select(SchedulingCoordinator)
        .options(selectinload(SchedulingCoordinator.scids))
        .order_by(SchedulingCoordinator.legal_name)
    )
    return [
        ScSummary(
            legal_name=sc.legal_name,
            status=sc.status.value,
            scids=sorted(s.code for s in sc.scids),
            resources_assigned=counts.get(sc.id, 0),
        )
        for sc in coordinators
    ]
