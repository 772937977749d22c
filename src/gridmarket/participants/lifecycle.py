"""The life of a scheduling coordinator as one explicit state machine.

    APPLIED → UNDER_REVIEW → INCOMPLETE ⇄ UNDER_REVIEW → ACCEPTED
      → IN_CERTIFICATION → CERTIFIED ⇄ SUSPENDED → TERMINATED
    (WITHDRAWN by the applicant and LAPSED for inactivity before certification)

A transition not in :data:`ALLOWED_TRANSITIONS` is refused with
:class:`IllegalTransition`, naming both statuses and what is allowed instead.
Every transition is recorded with who made it, when and why.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.errors import Conflict
from gridmarket.participants.models import SchedulingCoordinator, ScStatus, StatusTransition

S = ScStatus
ALLOWED_TRANSITIONS: dict[ScStatus, frozenset[ScStatus]] = {
    S.APPLIED: frozenset({S.UNDER_REVIEW, S.WITHDRAWN, S.LAPSED}),
    S.UNDER_REVIEW: frozenset({S.INCOMPLETE, S.ACCEPTED, S.WITHDRAWN}),
    S.INCOMPLETE: frozenset({S.UNDER_REVIEW, S.WITHDRAWN, S.LAPSED}),
    S.ACCEPTED: frozenset({S.IN_CERTIFICATION, S.WITHDRAWN, S.LAPSED}),
    S.IN_CERTIFICATION: frozenset({S.CERTIFIED, S.WITHDRAWN, S.LAPSED}),
    S.CERTIFIED: frozenset({S.SUSPENDED, S.TERMINATED}),
    S.SUSPENDED: frozenset({S.CERTIFIED, S.TERMINATED}),
    S.TERMINATED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.LAPSED: frozenset(),
}

PRE_CERTIFICATION = frozenset(
    {S.APPLIED, S.UNDER_REVIEW, S.INCOMPLETE, S.ACCEPTED, S.IN_CERTIFICATION}
)


class IllegalTransition(Conflict):
    """The SC's current status does not allow the requested one."""


def transition(
    session: Session,
    coordinator: SchedulingCoordinator,
    to_status: ScStatus,
    *,
    actor_id: int | None,
    at: datetime,
    reason: str = "",
) -> StatusTransition:
    """Move ``coordinator`` to ``to_status`` if allowed, recording who, when and why.

    Example::

        transition(session, sc, ScStatus.UNDER_REVIEW, actor_id=specialist.id, at=now)
    """
    current = coordinator.status
    allowed = ALLOWED_TRANSITIONS[current]
    if to_status not in allowed:
        options = ", ".join(sorted(s.value for s in allowed)) or "none (final status)"
        raise IllegalTransition(
            f"cannot go from {current.value} to {to_status.value}; allowed: {options}",
            field="status",
        )
    step = StatusTransition(
        scheduling_coordinator_id=coordinator.id,
        from_status=current,
        to_status=to_status,
        actor_id=actor_id,
        reason=reason,
        at=at,
    )
    coordinator.status = to_status
    session.add(step)
    session.flush()
    return step


def history(session: Session, coordinator: SchedulingCoordinator) -> list[StatusTransition]:
    """Every status change of ``coordinator``, oldest first."""
    return list(
        session.scalars(
            select(StatusTransition)
            .where(StatusTransition.scheduling_coordinator_id == coordinator.id)
            .order_by(StatusTransition.at, StatusTransition.id)
        )
    )
