"""Revenue meter and telemetry certification of resources (rulebook §3).

* An ISO-metered resource needs a revenue meter certification.
* A generating unit of the telemetry threshold (10 MW) or more, and any
  regulation provider, needs a telemetry certification.

A certification counts from ``certified_on`` up to, not including,
``expires_on``. Recertifying adds a row; the history is kept. The bidding area
asks :func:`bid_eligibility` and refuses bids while it returns reasons. A daily
job, :func:`raise_certification_notices`, tells each SC of certifications
expiring within the warning period and of those that have expired, once each.

Example::

    record_certification(session, iso_specialist, "101_CT_1", CertificationKind.TELEMETRY,
                         certified_on=date(2020, 1, 1), expires_on=date(2020, 7, 1))
    missing_certifications(session, resource, date(2020, 7, 1))
    # ['telemetry certification expired on 2020-07-01']
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.calendar import MarketCalendar, default_calendar
from gridmarket.clock import Clock, SystemClock
from gridmarket.config import MarketParameters
from gridmarket.errors import InvalidInput
from gridmarket.participants.models import Notice
from gridmarket.participants.notices import raise_notice
from gridmarket.resources.master_file import telemetry_required_by_rule
from gridmarket.resources.models import (
    CertificationKind,
    MeteringType,
    Resource,
    ResourceCertification,
)
from gridmarket.resources.queries import scid_of_resource
from gridmarket.resources.uploads import UploadedFile, store_pdf

KIND_NAMES = {
    CertificationKind.REVENUE_METER: "revenue meter certification",
    CertificationKind.TELEMETRY: "telemetry certification",
}
NOTICE_EXPIRING = "RESOURCE_CERTIFICATION_EXPIRING"
NOTICE_EXPIRED = "RESOURCE_CERTIFICATION_EXPIRED"


def required_certifications(
    resource: Resource, params: MarketParameters | None = None
) -> list[CertificationKind]:
    """The certifications ``resource`` must hold to bid.

    Example::

        required_certifications(resource)   # [REVENUE_METER, TELEMETRY] for a 20 MW unit
    """
    params = params or default_calendar().params
    required = []
    if resource.metering_type == MeteringType.ISO_METERED:
        required.append(CertificationKind.REVENUE_METER)
    telemetry = resource.telemetry_required or telemetry_required_by_rule(
        resource.resource_type,
        resource.p_max_mw,
        resource.certified_regulation,
        params.resources.telemetry_threshold_mw,
    )
    if telemetry:
        required.append(CertificationKind.TELEMETRY)
    return required


def record_certification(
    session: Session,
    actor: Principal,
    resource_id: str,
    kind: CertificationKind,
    certified_on: date,
    expires_on: date | None = None,
    *,
    evidence: UploadedFile | None = None,
    note: str = "",
    clock: Clock | None = None,
    params: MarketParameters | None = None,
) -> ResourceCertification:
    """The ISO records a certification, with its evidence (a PDF) if given.

    Without ``expires_on`` it lasts the configured validity
    (``resources.certification_validity_days``).

    Example::

        record_certification(session, iso_specialist, "101_CT_1", CertificationKind.TELEMETRY,
                             date(2020, 1, 1), evidence=UploadedFile("test.pdf", pdf_bytes))
    """
    clock = clock or SystemClock()
    params = params or default_calendar().params
    authorize(actor, Action.CERTIFY_METERING)
    resource = session.scalar(select(Resource).where(Resource.resource_id == resource_id))
    if resource is None:
        raise InvalidInput(f"no resource {resource_id!r} in the Master File", field="resource_id")
    if expires_on is not None and expires_on <= certified_on:
        raise InvalidInput(
            f"{expires_on} is not after the certification date {certified_on}",
            field="expires_on",
        )
    document_id = None
    if evidence is not None:
        document = store_pdf(
            session,
            evidence,
            purpose=f"evidence of {KIND_NAMES[kind]}",
            field="evidence",
            organisation_id=actor.organisation_id,
            uploaded_by_id=actor.person_id,
            at=clock.now(),
            rules=params.access,
        )
        document_id = document.id
    certification = _add(
        session,
        resource,
        kind,
        certified_on,
        expires_on,
        params=params,
        clock=clock,
        recorded_by_id=actor.person_id,
        evidence_document_id=document_id,
        note=note.strip(),
    )
    record_audit(
        session,
        actor=actor,
        action="resource_certification.record",
        object_type="resource",
        object_id=resource.resource_id,
        details={
            "kind": kind.value,
            "certified_on": certified_on.isoformat(),
            "expires_on": certification.expires_on.isoformat(),
            "evidence_document_id": document_id,
        },
        clock=clock,
    )
    return certification


def certifications_of(session: Session, resource: Resource) -> list[ResourceCertification]:
    """Every certification of a resource, newest first.

    Example::

        latest_telemetry = next(c for c in certifications_of(session, resource)
                                if c.kind is CertificationKind.TELEMETRY)
    """
    return list(
        session.scalars(
            select(ResourceCertification)
            .where(ResourceCertification.resource_pk == resource.id)
            .order_by(
                ResourceCertification.certified_on.desc(),
                ResourceCertification.id.desc(),
            )
        )
    )


def missing_certifications(
    session: Session, resource: Resource, on: date, *, params: MarketParameters | None = None
) -> list[str]:
    """Why ``resource`` lacks a required certification on ``on``; empty if it lacks none.

    Example::

        missing_certifications(session, resource, date(2020, 7, 1))
        # ['telemetry certification expired on 2020-06-30']
    """
    return _missing(resource, certifications_of(session, resource), on, params)


def _missing(
    resource: Resource,
    certifications: list[ResourceCertification],
    on: date,
    params: MarketParameters | None,
) -> list[str]:
    reasons = []
    for kind in required_certifications(resource, params):
        of_kind = [c for c in certifications if c.kind == kind]
        if any(c.certified_on <= on < c.expires_on for c in of_kind):
            continue
        reasons.append(_missing_reason(kind, of_kind, on))
    return reasons


def bid_eligibility(
    session: Session, resource: Resource, on: date, *, params: MarketParameters | None = None
) -> list[str]:
    """Why bids of ``resource`` for trade date ``on`` are invalid; empty means eligible.

    The one question the bidding area asks, so the certification rules stay here.

    Example::

        reasons = bid_eligibility(session, resource, date(2020, 7, 15))
        if reasons:
            refuse("; ".join(reasons))
    """
    return [
        f"{resource.resource_id}: {reason}"
        for reason in missing_certifications(session, resource, on, params=params)
    ]


def bid_eligibility_of_many(
    session: Session, resources: list[Resource], on: date, *, params: MarketParameters | None = None
) -> dict[int, list[str]]:
    """:func:`bid_eligibility` of many resources in one query, by resource primary key.

    Example::

        reasons = bid_eligibility_of_many(session, resources, date(2020, 7, 15))
        reasons[resource.id]   # [] when eligible
    """
    by_resource: dict[int, list[ResourceCertification]] = {r.id: [] for r in resources}
    rows = session.scalars(
        select(ResourceCertification).where(ResourceCertification.resource_pk.in_(by_resource))
    )
    for certification in rows:
        by_resource[certification.resource_pk].append(certification)
    return {
        r.id: [
            f"{r.resource_id}: {reason}" for reason in _missing(r, by_resource[r.id], on, params)
        ]
        for r in resources
    }


def raise_certification_notices(
    session: Session,
    today: date,
    *,
    params: MarketParameters | None = None,
    calendar: MarketCalendar | None = None,
) -> list[Notice]:
    """Notify each resource's SC of certifications expiring soon or expired; once each.

    Returns the notices raised by this run (none on a second run the same day).

    Example::

        raise_certification_notices(session, date(2020, 6, 5))
    """
    calendar = calendar or default_calendar()
    params = params or calendar.params
    warning = timedelta(days=params.participants.certification_expiry_warning_days)
    day_start = calendar.trade_day_start_utc(today)
    raised = []
    for resource in session.scalars(select(Resource).order_by(Resource.resource_id)):
        scid = scid_of_resource(session, resource, day_start)
        if scid is None:
            continue  # No SC to tell; the resource cannot be bid either.
        certifications = certifications_of(session, resource)
        for kind in required_certifications(resource, params):
            latest = max(
                (c for c in certifications if c.kind == kind and c.certified_on <= today),
                key=lambda c: c.expires_on,
                default=None,
            )
            if latest is None or latest.expires_on - today > warning:
                continue
            notice = _notice(resource, kind, latest.expires_on, today, scid.code)
            if session.scalar(select(exists().where(Notice.dedupe_key == notice["dedupe_key"]))):
                continue
            raised.append(
                raise_notice(
                    session,
                    scheduling_coordinator_id=scid.scheduling_coordinator_id,
                    **notice,
                )
            )
    return raised


def certify_demo_resources(session: Session, certified_on: date) -> int:
    """Give every demo resource the certifications it needs, from ``certified_on``.

    Idempotent; returns how many certifications were added.

    Example::

        certify_demo_resources(session, date(2020, 6, 1))
    """
    params = default_calendar().params
    added = 0
    for resource in session.scalars(select(Resource).order_by(Resource.resource_id)):
        held = {
            c.kind
            for c in certifications_of(session, resource)
            if c.certified_on <= certified_on < c.expires_on
        }
        for kind in required_certifications(resource, params):
            if kind not in held:
                _add(session, resource, kind, certified_on, None, params=params)
                added += 1
    session.flush()
    return added


def _add(
    session: Session,
    resource: Resource,
    kind: CertificationKind,
    certified_on: date,
    expires_on: date | None,
    *,
    params: MarketParameters,
    clock: Clock | None = None,
    recorded_by_id: int | None = None,
    evidence_document_id: int | None = None,
    note: str = "",
) -> ResourceCertification:
    validity = timedelta(days=params.resources.certification_validity_days)
    certification = ResourceCertification(
        resource_pk=resource.id,
        kind=kind,
        certified_on=certified_on,
        expires_on=expires_on or certified_on + validity,
        evidence_document_id=evidence_document_id,
        note=note,
        recorded_by_id=recorded_by_id,
        recorded_at=(clock or SystemClock()).now(),
    )
    session.add(certification)
    session.flush()
    return certification


def _missing_reason(kind: CertificationKind, of_kind: list[ResourceCertification], on: date) -> str:
    name = KIND_NAMES[kind]
    expired = [c.expires_on for c in of_kind if c.expires_on <= on]
    upcoming = [c.certified_on for c in of_kind if c.certified_on > on]
    if upcoming:
        return f"{name} takes effect only on {min(upcoming)}"
    if expired:
        return f"{name} expired on {max(expired)}"
    return f"no {name} on record"


def _notice(
    resource: Resource, kind: CertificationKind, expires_on: date, today: date, scid: str
) -> dict[str, str]:
    name = KIND_NAMES[kind]
    if expires_on <= today:
        return {
            "kind": NOTICE_EXPIRED,
            "subject": f"{resource.resource_id}: {name} expired on {expires_on}",
            "body": (
                f"The {name} of {resource.resource_id} (SCID {scid}) expired on {expires_on}. "
                "Bids for the resource are invalid until it is recertified."
            ),
            "dedupe_key": f"resource-cert-expired:{resource.resource_id}:{kind.value}:"
            f"{expires_on.isoformat()}",
        }
    return {
        "kind": NOTICE_EXPIRING,
        "subject": f"{resource.resource_id}: {name} expires on {expires_on}",
        "body": (
            f"The {name} of {resource.resource_id} (SCID {scid}) expires on {expires_on}. "
            "Recertify it before then: from that date the resource's bids are invalid."
        ),
        "dedupe_key": f"resource-cert-expiring:{resource.resource_id}:{kind.value}:"
        f"{expires_on.isoformat()}",
    }
