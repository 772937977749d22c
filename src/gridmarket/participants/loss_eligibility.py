"""Marginal-loss adjustment eligibility (rulebook §9, assumed design).

An SC applies for eligibility of named resources (represented by its SCID) or
contracts (existing transmission contracts, transmission ownership rights),
with supporting documents. The ISO approves with an effective date and an
expiry, or rejects with a reason. Settlement asks :func:`eligible_on` and
applies the adjustment only inside an approved window: from the effective
date up to, not including, the expiry date.

Example::

    application = apply_for_loss_eligibility(
        session, sc_analyst, "MPPA", resource_ids=["LOAD_AREA1"], contract_refs=["ETC 42"],
        justification="ETC 42 predates the ISO", documents=[UploadedFile("etc42.pdf", pdf)])
    approve_loss_eligibility(session, iso_analyst, application.id,
                             effective_on=date(2020, 7, 1), expires_on=date(2021, 7, 1))
    eligible_on(session, "MPPA", date(2020, 7, 15))   # ['ETC 42', 'LOAD_AREA1']
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from gridmarket.access.audit import record_audit
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.calendar import MarketCalendar, default_calendar
from gridmarket.clock import Clock, SystemClock
from gridmarket.errors import Conflict, InvalidInput, NotFound
from gridmarket.participants.loss_eligibility_models import (
    LossEligibilityApplication,
    LossEligibilityItem,
    LossEligibilityStatus,
)
from gridmarket.participants.models import Scid
from gridmarket.resources.models import Resource
from gridmarket.resources.queries import scid_of_resource
from gridmarket.resources.uploads import UploadedFile, store_pdf

OBJECT_TYPE = "loss_eligibility_application"
CONTRACT_REF_MAX_LENGTH = 100


def apply_for_loss_eligibility(
    session: Session,
    actor: Principal,
    scid_code: str,
    *,
    resource_ids: Sequence[str] = (),
    contract_refs: Sequence[str] = (),
    justification: str,
    documents: Sequence[UploadedFile],
    clock: Clock | None = None,
    calendar: MarketCalendar | None = None,
) -> LossEligibilityApplication:
    """An SC applies for marginal-loss adjustment of its resources and contracts.

    Each resource must be represented by ``scid_code`` now; at least one
    supporting document (PDF) is required.

    Example::

        apply_for_loss_eligibility(session, analyst, "MPPA", contract_refs=["TOR 7"],
                                   justification="ownership right on line 7",
                                   documents=[UploadedFile("tor7.pdf", pdf_bytes)])
    """
    clock = clock or SystemClock()
    calendar = calendar or default_calendar()
    authorize(actor, Action.SUBMIT_LOSS_ELIGIBILITY, scid=scid_code)
    scid = session.scalar(select(Scid).where(Scid.code == scid_code))
    if scid is None:
        raise InvalidInput(f"no SCID {scid_code!r}", field="scid")
    if not justification.strip():
        raise InvalidInput("say why the resources or contracts are eligible", field="justification")
    if not resource_ids and not contract_refs:
        raise InvalidInput("name at least one resource or contract", field="resource_ids")
    if not documents:
        raise InvalidInput("attach at least one supporting document (PDF)", field="documents")
    now = clock.now()
    items = [
        LossEligibilityItem(resource=_represented_resource(session, rid, scid, now))
        for rid in _unique(resource_ids, field="resource_ids")
    ]
    items += [
        LossEligibilityItem(contract_ref=_contract_ref(ref))
        for ref in _unique(contract_refs, field="contract_refs")
    ]
    stored = [
        store_pdf(
            session,
            upload,
            purpose=f"supporting document {position}",
            field="documents",
            organisation_id=actor.organisation_id,
            uploaded_by_id=actor.person_id,
            at=now,
            rules=calendar.params.access,
        )
        for position, upload in enumerate(documents, start=1)
    ]
    application = LossEligibilityApplication(
        scid=scid,
        status=LossEligibilityStatus.SUBMITTED,
        justification=justification.strip(),
        submitted_at=now,
        submitted_by_id=actor.person_id,
        items=items,
        documents=stored,
    )
    session.add(application)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="loss_eligibility.apply",
        object_type=OBJECT_TYPE,
        object_id=str(application.id),
        details={"scid": scid.code, "items": [item.label for item in items]},
        clock=clock,
    )
    return application


def get_loss_eligibility_application(
    session: Session,
    actor: Principal,
    application_id: int,
    *,
    action: Action = Action.VIEW_LOSS_ELIGIBILITY,
) -> LossEligibilityApplication:
    """The application, if ``actor`` is the ISO or acts for its SCID (else NotVisible).

    Example::

        application = get_loss_eligibility_application(session, analyst, 3)
    """
    application = session.scalar(
        select(LossEligibilityApplication)
        .options(
            joinedload(LossEligibilityApplication.scid),
            selectinload(LossEligibilityApplication.items).joinedload(LossEligibilityItem.resource),
            selectinload(LossEligibilityApplication.documents),
        )
        .where(LossEligibilityApplication.id == application_id)
    )
    if application is None:
        authorize(actor, action)
        raise NotFound(f"no loss-eligibility application {application_id}", field="id")
    authorize(actor, action, scid=application.scid.code)
    return application


def approve_loss_eligibility(
    session: Session,
    actor: Principal,
    application_id: int,
    *,
    effective_on: date,
    expires_on: date,
    clock: Clock | None = None,
) -> LossEligibilityApplication:
    """The ISO approves for trade dates ``effective_on`` up to, not including, ``expires_on``.

    Example::

        approve_loss_eligibility(session, iso_analyst, 3, effective_on=date(2020, 7, 1),
                                 expires_on=date(2021, 7, 1))
    """
    clock = clock or SystemClock()
    application = get_loss_eligibility_application(
        session, actor, application_id, action=Action.REVIEW_LOSS_ELIGIBILITY
    )
    _require_submitted(application)
    if expires_on <= effective_on:
        raise InvalidInput(
            f"{expires_on} is not after the effective date {effective_on}", field="expires_on"
        )
    application.status = LossEligibilityStatus.APPROVED
    application.effective_on = effective_on
    application.expires_on = expires_on
    _decided(session, actor, application, "loss_eligibility.approve", clock)
    return application


def reject_loss_eligibility(
    session: Session,
    actor: Principal,
    application_id: int,
    reason: str,
    *,
    clock: Clock | None = None,
) -> LossEligibilityApplication:
    """The ISO rejects an application, saying why.

    Example::

        reject_loss_eligibility(session, iso_analyst, 3, "contract ETC 42 has ended")
    """
    clock = clock or SystemClock()
    application = get_loss_eligibility_application(
        session, actor, application_id, action=Action.REVIEW_LOSS_ELIGIBILITY
    )
    if not reason.strip():
        raise InvalidInput("a rejection needs a reason", field="reason")
    _require_submitted(application)
    application.status = LossEligibilityStatus.REJECTED
    application.rejection_reason = reason.strip()
    _decided(session, actor, application, "loss_eligibility.reject", clock)
    return application


def list_loss_eligibility_applications(
    session: Session, actor: Principal, *, status: LossEligibilityStatus | None = None
) -> list[LossEligibilityApplication]:
    """The applications ``actor`` may see (all for the ISO), newest first.

    Example::

        pending = list_loss_eligibility_applications(session, iso_analyst,
                                                     status=LossEligibilityStatus.SUBMITTED)
    """
    authorize(actor, Action.VIEW_LOSS_ELIGIBILITY)
    query = select(LossEligibilityApplication).options(
        joinedload(LossEligibilityApplication.scid),
        selectinload(LossEligibilityApplication.items).joinedload(LossEligibilityItem.resource),
        selectinload(LossEligibilityApplication.documents),
    )
    if status is not None:
        query = query.where(LossEligibilityApplication.status == status)
    if not actor.is_iso:
        query = query.join(Scid).where(Scid.code.in_(actor.scids))
    return list(session.scalars(query.order_by(LossEligibilityApplication.id.desc())))


def eligible_on(session: Session, scid_code: str, trade_date: date) -> list[str]:
    """The resource IDs and contract references of ``scid_code`` eligible on ``trade_date``.

    Only approved applications whose window contains the trade date count.

    Example::

        eligible_on(session, "MPPA", date(2020, 7, 15))   # ['ETC 42', 'LOAD_AREA1']
    """
    items = session.scalars(
        select(LossEligibilityItem)
        .join(LossEligibilityApplication)
        .join(Scid, Scid.id == LossEligibilityApplication.scid_id)
        .options(joinedload(LossEligibilityItem.resource))
        .where(
            Scid.code == scid_code,
            LossEligibilityApplication.status == LossEligibilityStatus.APPROVED,
            LossEligibilityApplication.effective_on <= trade_date,
            LossEligibilityApplication.expires_on > trade_date,
        )
    )
    return sorted({item.label for item in items})


def _represented_resource(
    session: Session, resource_id: str, scid: Scid, now: datetime
) -> Resource:
    resource = session.scalar(select(Resource).where(Resource.resource_id == resource_id))
    if resource is None:
        raise InvalidInput(f"no resource {resource_id!r} in the Master File", field="resource_ids")
    current = scid_of_resource(session, resource, now)
    if current is None or current.id != scid.id:
        raise InvalidInput(
            f"{resource_id} is not represented by SCID {scid.code}", field="resource_ids"
        )
    return resource


def _contract_ref(reference: str) -> str:
    text = reference.strip()
    if not text or len(text) > CONTRACT_REF_MAX_LENGTH:
        raise InvalidInput(
            f"a contract reference has 1 to {CONTRACT_REF_MAX_LENGTH} characters",
            field="contract_refs",
        )
    return text


def _unique(values: Sequence[str], *, field: str) -> list[str]:
    cleaned = [value.strip() for value in values]
    repeated = sorted({value for value in cleaned if cleaned.count(value) > 1})
    if repeated:
        raise InvalidInput(f"named more than once: {', '.join(repeated)}", field=field)
    return cleaned


def _require_submitted(application: LossEligibilityApplication) -> None:
    if application.status != LossEligibilityStatus.SUBMITTED:
        raise Conflict(
            f"application {application.id} is already {application.status.value.lower()}",
            field="status",
        )


def _decided(
    session: Session,
    actor: Principal,
    application: LossEligibilityApplication,
    action: str,
    clock: Clock,
) -> None:
    application.reviewed_at = clock.now()
    application.reviewed_by_id = actor.person_id
    session.flush()
    record_audit(
        session,
        actor=actor,
        action=action,
        object_type=OBJECT_TYPE,
        object_id=str(application.id),
        details={
            "status": application.status.value,
            "effective_on": application.effective_on.isoformat()
            if application.effective_on
            else None,
            "expires_on": application.expires_on.isoformat() if application.expires_on else None,
            "reason": application.rejection_reason,
        },
        clock=clock,
    )
