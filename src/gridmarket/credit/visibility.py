"""Who may see or change an SC's credit: its own people and the ISO, nobody else.

Credit is confidential to the SC and the ISO (rulebook §5). Another SC's
request is answered as if the SC did not exist (404) and audited.

Example::

    coordinator = credit_coordinator(session, principal, 7, Action.VIEW_CREDIT)
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.errors import NotFound
from gridmarket.participants.models import SchedulingCoordinator
from gridmarket.participants.visibility import require_own_organisation


def credit_coordinator(
    session: Session, actor: Principal, coordinator_id: int, action: Action
) -> SchedulingCoordinator:
    """The SC whose credit ``actor`` may ``action``; 403 for the role, 404 for another SC.

    Example::

        credit_coordinator(session, analyst, 7, Action.MANAGE_CREDIT).legal_name
    """
    authorize(actor, action)
    coordinator = session.get(SchedulingCoordinator, coordinator_id)
    if coordinator is None:
        raise NotFound(f"no scheduling coordinator {coordinator_id}", field="coordinator_id")
    require_own_organisation(
        actor,
        coordinator.organisation_id,
        action=f"credit.{action.value.lower()}",
        object_type="scheduling_coordinator",
        object_id=coordinator_id,
    )
    return coordinator


def own_coordinator(session: Session, actor: Principal) -> SchedulingCoordinator:
    """The SC of the caller's own organisation ("my credit"); 404 for the ISO or an applicant.

    Example::

        own_coordinator(session, trader).id
    """
    authorize(actor, Action.VIEW_CREDIT)
    coordinator = session.scalar(
        select(SchedulingCoordinator).where(
            SchedulingCoordinator.organisation_id == actor.organisation_id
        )
    )
    if coordinator is None or actor.is_iso:
        raise NotFound(
            "your organisation is not a scheduling coordinator; ISO staff use the credit monitor"
        )
    return coordinator
