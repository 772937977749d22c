"""An SC's standing: suspension on the rulebook's triggers, reinstatement, termination.

A suspended SC may not bid or trade; what it already owes still settles.
Suspension triggers (rulebook §2) are checks registered by the areas that
own them — participants registers the lapsed annual officer certification;
credit registers the unmet collateral call and settlement the unpaid invoice
past its due date. A check returns a reason when its trigger holds.
Reinstatement is allowed once no trigger holds; termination once no resource
is assigned and nothing is owed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.errors import Conflict, NotFound
from gridmarket.participants.lifecycle import transition
from gridmarket.participants.models import SchedulingCoordinator, Scid, ScStatus
from gridmarket.participants.notices import raise_notice
from gridmarket.resources.models import ResourceAssignment

SuspensionCheck = Callable[[Session, SchedulingCoordinator, date, MarketParameters], str | None]
AmountOwed = Callable[[Session, SchedulingCoordinator], Decimal]

SUSPENSION_CHECKS: list[SuspensionCheck] = []
AMOUNTS_OWED: list[AmountOwed] = []


def register_suspension_check(check: SuspensionCheck) -> SuspensionCheck:
    """Add a suspension trigger (usable as a decorator)."""
    SUSPENSION_CHECKS.append(check)
    return check


def register_amount_owed(source: AmountOwed) -> AmountOwed:
    """Add a source of unpaid amounts that must be zero before termination."""
    AMOUNTS_OWED.append(source)
    return source


def suspension_reasons(
    session: Session,
    coordinator: SchedulingCoordinator,
    today: date,
    parameters: MarketParameters,
) -> list[str]:
    """Every trigger that holds for ``coordinator`` on ``today``."""
    return [
        reason
        for check in SUSPENSION_CHECKS
        if (reason := check(session, coordinator, today, parameters))
    ]


def _coordinator(session: Session, coordinator_id: int) -> SchedulingCoordinator:
    coordinator = session.get(SchedulingCoordinator, coordinator_id)
    if coordinator is None:
        raise NotFound(f"no scheduling coordinator {coordinator_id}", field="coordinator_id")
    return coordinator


def suspend(
    session: Session,
    coordinator: SchedulingCoordinator,
    reason: str,
    actor: Principal | None,
    clock: Clock,
) -> None:
    """Suspend (CERTIFIED → SUSPENDED) and notify the SC in writing."""
    now = clock.now()
    transition(
        session,
        coordinator,
        ScStatus.SUSPENDED,
        actor_id=actor.person_id if actor else None,
        at=now,
        reason=reason,
    )
    raise_notice(
        session,
        scheduling_coordinator_id=coordinator.id,
        kind="SUSPENSION",
        subject=f"{coordinator.legal_name} is suspended from bidding and trading",
        body=f"Reason: {reason}. Obligations already incurred still settle.",
        dedupe_key=f"suspension:{coordinator.id}:{now.isoformat()}",
    )
    record_audit(
        session,
        actor=actor,
        action="sc.suspend",
        object_type="scheduling_coordinator",
        object_id=str(coordinator.id),
        details={"reason": reason},
        clock=clock,
    )


def reinstate(
    session: Session,
    actor: Principal,
    coordinator_id: int,
    today: date,
    parameters: MarketParameters,
    clock: Clock,
) -> SchedulingCoordinator:
    """Reinstate a suspended SC once every trigger is cured."""
    authorize(actor, Action.CERTIFY_SC)
    coordinator = _coordinator(session, coordinator_id)
    reasons = suspension_reasons(session, coordinator, today, parameters)
    if reasons:
        raise Conflict("not cured: " + "; ".join(reasons))
    transition(
        session,
        coordinator,
        ScStatus.CERTIFIED,
        actor_id=actor.person_id,
        at=clock.now(),
        reason="reinstated after cure",
    )
    record_audit(
        session,
        actor=actor,
        action="sc.reinstate",
        object_type="scheduling_coordinator",
        object_id=str(coordinator.id),
        clock=clock,
    )
    return coordinator


def terminate(
    session: Session, actor: Principal, coordinator_id: int, reason: str, clock: Clock
) -> SchedulingCoordinator:
    """End the SC Agreement: only with no resource assigned and nothing owed."""
    authorize(actor, Action.CERTIFY_SC)
    coordinator = _coordinator(session, coordinator_id)
    assigned = session.scalars(
        select(ResourceAssignment.resource_pk)
        .join(Scid, Scid.id == ResourceAssignment.scid_id)
        .where(
            Scid.scheduling_coordinator_id == coordinator.id,
            ResourceAssignment.effective_to_utc.is_(None),
        )
    ).all()
    if assigned:
        raise Conflict(f"{len(assigned)} resource(s) are still assigned to this SC's SCIDs")
    owed = sum((source(session, coordinator) for source in AMOUNTS_OWED), Decimal(0))
    if owed > 0:
        raise Conflict(f"${owed:,.2f} is still unpaid")
    transition(
        session,
        coordinator,
        ScStatus.TERMINATED,
        actor_id=actor.person_id,
        at=clock.now(),
        reason=reason,
    )
    record_audit(
        session,
        actor=actor,
        action="sc.terminate",
        object_type="scheduling_coordinator",
        object_id=str(coordinator.id),
        details={"reason": reason},
        clock=clock,
    )
    return coordinator
