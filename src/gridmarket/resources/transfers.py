"""Resource transfers between SCIDs: request, ISO decision, and the switch on the date.

The new SC (or the resource owner through it) submits a request naming the
resources, the SCID that has them, the SCID that takes them, the effective
date and a signatory. The date rules are in :mod:`~gridmarket.resources.transfer_rules`,
the letters and uploaded documents in :mod:`~gridmarket.resources.transfer_documents`.
The ISO approves or rejects; on the effective date :func:`apply_due_transfers`
closes each resource's assignment and opens the new one. Assignments are
never edited beyond closing them, so the history stays whole.

Who sees a transfer: the ISO, the new SC and the relinquishing SC. Any other
SC gets :class:`~gridmarket.access.policy.NotVisible`, as if it did not exist.

Example::

    transfer = submit_transfer(session, trader, TransferRequest(
        resource_ids=["101_CT_1"], from_scid="SPKR", to_scid="DTGN",
        effective_date=date(2020, 7, 14), resource_owner="Owner Co",
        signatory_name="Ann Smith", signatory_title="Vice President"), clock=clock)
    approve_transfer(session, iso_specialist, transfer.id, clock=clock)
    apply_due_transfers(session, date(2020, 7, 14))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from gridmarket.access.audit import record_audit
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.calendar import MarketCalendar, default_calendar
from gridmarket.clock import Clock, SystemClock
from gridmarket.errors import Conflict, InvalidInput, NotFound
from gridmarket.participants.models import Scid
from gridmarket.resources.models import (
    Resource,
    ResourceAssignment,
    ResourceTransfer,
    ResourceTransferItem,
    TransferDocumentSlot,
    TransferKind,
    TransferStatus,
)
from gridmarket.resources.transfer_rules import SLOT_TITLES, check_effective_date, required_slots

OBJECT_TYPE = "resource_transfer"
PENDING = (TransferStatus.SUBMITTED, TransferStatus.APPROVED)


@dataclass(frozen=True)
class TransferRequest:
    """What the new SC submits. ``effective_date`` may be None for a same-SC SCID move."""

    resource_ids: Sequence[str]
    from_scid: str
    to_scid: str
    effective_date: date | None
    resource_owner: str
    signatory_name: str
    signatory_title: str


def submit_transfer(
    session: Session,
    actor: Principal,
    request: TransferRequest,
    *,
    clock: Clock | None = None,
    calendar: MarketCalendar | None = None,
) -> ResourceTransfer:
    """Record a transfer request after checking every rule; refuse it with a clear error.

    The submitter must act for the receiving SCID. Each resource must be
    represented by ``from_scid`` now and be in no other pending transfer.

    Example::

        transfer = submit_transfer(session, trader, request, clock=FixedClock(now))
        transfer.kind      # TransferKind.CHANGE_OF_SC
    """
    clock = clock or SystemClock()
    calendar = calendar or default_calendar()
    authorize(actor, Action.SUBMIT_TRANSFER, scid=request.to_scid)
    for field in ("resource_owner", "signatory_name", "signatory_title"):
        if not getattr(request, field).strip():
            raise InvalidInput("must not be empty", field=field)
    to_scid = _scid(session, request.to_scid, field="to_scid")
    from_scid = _scid(session, request.from_scid, field="from_scid")
    if from_scid.id == to_scid.id:
        raise InvalidInput(
            f"the resources are already represented by {to_scid.code}", field="to_scid"
        )
    kind = (
        TransferKind.SCID_MOVE
        if from_scid.scheduling_coordinator_id == to_scid.scheduling_coordinator_id
        else TransferKind.CHANGE_OF_SC
    )
    now = clock.now()
    resources = _transferable_resources(session, request.resource_ids, from_scid, now)
    submitted_on = calendar.trade_date_of(now)
    effective_date = check_effective_date(
        kind,
        submitted_on,
        request.effective_date,
        station_power_ids=[r.resource_id for r in resources if r.is_station_power],
        calendar=calendar,
    )
    transfer = ResourceTransfer(
        kind=kind,
        status=TransferStatus.SUBMITTED,
        from_scid=from_scid,
        to_scid=to_scid,
        effective_date=effective_date,
        effective_from_utc=calendar.trade_day_start_utc(effective_date),
        resource_owner=request.resource_owner.strip(),
        signatory_name=request.signatory_name.strip(),
        signatory_title=request.signatory_title.strip(),
        submitted_on=submitted_on,
        submitted_at=now,
        submitted_by_id=actor.person_id,
        items=[ResourceTransferItem(resource=resource) for resource in resources],
    )
    session.add(transfer)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="resource_transfer.submit",
        object_type=OBJECT_TYPE,
        object_id=str(transfer.id),
        details={
            "kind": kind.value,
            "resources": [r.resource_id for r in resources],
            "from_scid": from_scid.code,
            "to_scid": to_scid.code,
            "effective_date": effective_date.isoformat(),
        },
        clock=clock,
    )
    return transfer


def get_transfer(
    session: Session, actor: Principal, transfer_id: int, *, action: Action = Action.VIEW_RESOURCE
) -> ResourceTransfer:
    """The transfer, if ``actor`` may do ``action`` on it; NotVisible for other SCs.

    Example::

        transfer = get_transfer(session, relinquishing_trader, 12)
    """
    transfer = session.scalar(
        select(ResourceTransfer)
        .options(
            joinedload(ResourceTransfer.from_scid).joinedload(Scid.scheduling_coordinator),
            joinedload(ResourceTransfer.to_scid).joinedload(Scid.scheduling_coordinator),
            selectinload(ResourceTransfer.items).joinedload(ResourceTransferItem.resource),
            selectinload(ResourceTransfer.documents),
        )
        .where(ResourceTransfer.id == transfer_id)
    )
    if transfer is None:
        # Checked before the 404 so that a caller without the role learns nothing.
        authorize(actor, action)
        raise NotFound(f"no transfer request {transfer_id}", field="transfer_id")
    authorize_transfer(actor, action, transfer)
    return transfer


def authorize_transfer(actor: Principal, action: Action, transfer: ResourceTransfer) -> None:
    """Allow ``action`` on ``transfer`` to the ISO and to either party's people only.

    Example::

        authorize_transfer(trader, Action.SUBMIT_TRANSFER, transfer)
    """
    parties = (transfer.to_scid.code, transfer.from_scid.code)
    scid = next((code for code in parties if actor.can_act_for(code)), parties[0])
    authorize(actor, action, scid=scid)


def list_transfers(
    session: Session, actor: Principal, *, status: TransferStatus | None = None
) -> list[ResourceTransfer]:
    """The transfers ``actor`` may see (all for the ISO), newest first.

    Example::

        pending = list_transfers(session, iso_specialist, status=TransferStatus.SUBMITTED)
    """
    authorize(actor, Action.VIEW_RESOURCE)
    query = select(ResourceTransfer).options(
        joinedload(ResourceTransfer.from_scid),
        joinedload(ResourceTransfer.to_scid),
        selectinload(ResourceTransfer.items).joinedload(ResourceTransferItem.resource),
        selectinload(ResourceTransfer.documents),
    )
    if status is not None:
        query = query.where(ResourceTransfer.status == status)
    if not actor.is_iso:
        visible = select(Scid.id).where(Scid.code.in_(actor.scids))
        query = query.where(
            ResourceTransfer.from_scid_id.in_(visible) | ResourceTransfer.to_scid_id.in_(visible)
        )
    return list(session.scalars(query.order_by(ResourceTransfer.id.desc())))


def approve_transfer(
    session: Session,
    actor: Principal,
    transfer_id: int,
    *,
    clock: Clock | None = None,
    calendar: MarketCalendar | None = None,
) -> ResourceTransfer:
    """The ISO approves a submitted transfer whose documents are all in, before its date.

    Example::

        approve_transfer(session, iso_specialist, 12, clock=clock)
    """
    clock = clock or SystemClock()
    calendar = calendar or default_calendar()
    transfer = get_transfer(session, actor, transfer_id, action=Action.APPROVE_TRANSFER)
    _require_status(transfer, TransferStatus.SUBMITTED, "approved")
    missing = missing_slots(transfer)
    if missing:
        names = ", ".join(SLOT_TITLES[slot] for slot in missing)
        raise Conflict(
            f"transfer request {transfer.id} cannot be approved: missing {names}",
            field="documents",
        )
    now = clock.now()
    today = calendar.trade_date_of(now)
    if today >= transfer.effective_date:
        raise Conflict(
            f"transfer request {transfer.id} must be approved before its effective date "
            f"{transfer.effective_date}; the SC must submit a new request",
            field="effective_date",
        )
    for item in transfer.items:
        _require_represented_by(session, item.resource, transfer.from_scid, now)
    transfer.status = TransferStatus.APPROVED
    transfer.decided_at = now
    transfer.decided_by_id = actor.person_id
    _audit_decision(session, actor, transfer, "resource_transfer.approve", clock)
    return transfer


def reject_transfer(
    session: Session,
    actor: Principal,
    transfer_id: int,
    reason: str,
    *,
    clock: Clock | None = None,
) -> ResourceTransfer:
    """The ISO rejects a submitted transfer, saying why.

    Example::

        reject_transfer(session, iso_specialist, 12, "resource data template unsigned")
    """
    clock = clock or SystemClock()
    transfer = get_transfer(session, actor, transfer_id, action=Action.APPROVE_TRANSFER)
    if not reason.strip():
        raise InvalidInput("a rejection needs a reason", field="reason")
    _require_status(transfer, TransferStatus.SUBMITTED, "rejected")
    transfer.status = TransferStatus.REJECTED
    transfer.decided_at = clock.now()
    transfer.decided_by_id = actor.person_id
    transfer.decision_reason = reason.strip()
    _audit_decision(session, actor, transfer, "resource_transfer.reject", clock)
    return transfer


def apply_due_transfers(
    session: Session, today: date, *, clock: Clock | None = None
) -> list[ResourceTransfer]:
    """Switch the assignments of every approved transfer effective on or before ``today``.

    Each resource's open assignment is closed at the transfer's effective instant
    (start of the effective trade day) and a new one opens there. Running it
    again changes nothing: completed transfers are no longer approved.

    Example::

        done = apply_due_transfers(session, date(2020, 7, 14))
    """
    clock = clock or SystemClock()
    due = list(
        session.scalars(
            select(ResourceTransfer)
            .options(selectinload(ResourceTransfer.items).joinedload(ResourceTransferItem.resource))
            .where(
                ResourceTransfer.status == TransferStatus.APPROVED,
                ResourceTransfer.effective_date <= today,
            )
            .order_by(ResourceTransfer.effective_date, ResourceTransfer.id)
        )
    )
    for transfer in due:
        for item in transfer.items:
            _switch_assignment(session, transfer, item.resource)
        transfer.status = TransferStatus.COMPLETED
        transfer.completed_at = clock.now()
        record_audit(
            session,
            actor=None,
            action="resource_transfer.apply",
            object_type=OBJECT_TYPE,
            object_id=str(transfer.id),
            details={
                "resources": [item.resource.resource_id for item in transfer.items],
                "effective_from_utc": transfer.effective_from_utc.isoformat(),
            },
            clock=clock,
        )
    session.flush()
    return due


def assignment_history(session: Session, resource_id: str) -> list[ResourceAssignment]:
    """Every SCID assignment of a resource, oldest first; the open one has no end.

    Example::

        [(a.scid.code, a.effective_to_utc) for a in assignment_history(session, "101_CT_1")]
        # [('SPKR', datetime(2020, 7, 14, 7, 0, tzinfo=UTC)), ('DTGN', None)]
    """
    resource = _resource(session, resource_id, field="resource_id")
    return list(
        session.scalars(
            select(ResourceAssignment)
            .options(joinedload(ResourceAssignment.scid))
            .where(ResourceAssignment.resource_pk == resource.id)
            .order_by(ResourceAssignment.effective_from_utc, ResourceAssignment.id)
        )
    )


def missing_slots(transfer: ResourceTransfer) -> list[TransferDocumentSlot]:
    """The required document slots of ``transfer`` not yet filled, in the rulebook's order.

    Example::

        [SLOT_TITLES[s] for s in missing_slots(transfer)]   # ["Relinquishing SC's letter"]
    """
    filled = {document.slot for document in transfer.documents}
    return [slot for slot in required_slots(transfer.kind) if slot not in filled]


def _switch_assignment(session: Session, transfer: ResourceTransfer, resource: Resource) -> None:
    current = _open_assignment(session, resource)
    if current is None or current.scid_id != transfer.from_scid_id:
        raise Conflict(
            f"transfer request {transfer.id}: {resource.resource_id} is no longer represented "
            f"by the relinquishing SCID; the ISO must review it",
            field="resource_ids",
        )
    current.effective_to_utc = transfer.effective_from_utc
    # Close before opening: only one open assignment per resource may exist.
    session.flush()
    session.add(
        ResourceAssignment(
            resource_pk=resource.id,
            scid_id=transfer.to_scid_id,
            effective_from_utc=transfer.effective_from_utc,
        )
    )
    session.flush()


def _transferable_resources(
    session: Session, resource_ids: Sequence[str], from_scid: Scid, now: datetime
) -> list[Resource]:
    if not resource_ids:
        raise InvalidInput("name at least one resource", field="resource_ids")
    duplicates = sorted({rid for rid in resource_ids if list(resource_ids).count(rid) > 1})
    if duplicates:
        raise InvalidInput(f"named more than once: {', '.join(duplicates)}", field="resource_ids")
    resources = [_resource(session, rid, field="resource_ids") for rid in resource_ids]
    for resource in resources:
        _require_represented_by(session, resource, from_scid, now)
        pending = session.scalar(
            select(ResourceTransfer.id)
            .join(ResourceTransferItem)
            .where(
                ResourceTransferItem.resource_pk == resource.id,
                ResourceTransfer.status.in_(PENDING),
            )
        )
        if pending is not None:
            raise Conflict(
                f"{resource.resource_id} is already in pending transfer request {pending}",
                field="resource_ids",
            )
    return resources


def _require_represented_by(
    session: Session, resource: Resource, scid: Scid, now: datetime
) -> None:
    current = _open_assignment(session, resource)
    if current is None or current.scid_id != scid.id or current.effective_from_utc > now:
        raise InvalidInput(
            f"{resource.resource_id} is not represented by SCID {scid.code}",
            field="resource_ids",
        )


def _open_assignment(session: Session, resource: Resource) -> ResourceAssignment | None:
    return session.scalar(
        select(ResourceAssignment).where(
            ResourceAssignment.resource_pk == resource.id,
            ResourceAssignment.effective_to_utc.is_(None),
        )
    )


def _resource(session: Session, resource_id: str, *, field: str) -> Resource:
    resource = session.scalar(select(Resource).where(Resource.resource_id == resource_id))
    if resource is None:
        raise InvalidInput(f"no resource {resource_id!r} in the Master File", field=field)
    return resource


def _scid(session: Session, code: str, *, field: str) -> Scid:
    scid = session.scalar(
        select(Scid).options(joinedload(Scid.scheduling_coordinator)).where(Scid.code == code)
    )
    if scid is None:
        raise InvalidInput(f"no SCID {code!r}", field=field)
    return scid


def _require_status(transfer: ResourceTransfer, status: TransferStatus, verb: str) -> None:
    if transfer.status != status:
        raise Conflict(
            f"transfer request {transfer.id} is {transfer.status.value.lower()} and cannot be "
            f"{verb}",
            field="status",
        )


def _audit_decision(
    session: Session, actor: Principal, transfer: ResourceTransfer, action: str, clock: Clock
) -> None:
    session.flush()
    record_audit(
        session,
        actor=actor,
        action=action,
        object_type=OBJECT_TYPE,
        object_id=str(transfer.id),
        details={"status": transfer.status.value, "reason": transfer.decision_reason},
        clock=clock,
    )
