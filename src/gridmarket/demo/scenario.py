"""The demo's cast: an ISO and eight scheduling coordinators on the RTS-GMLC system.

Three load-serving SCs (one per area), three generator owners, a storage
operator and a virtual trader, each certified with one SCID and people with
roles. Resources are assigned by what they are, so every resource has an SC.
Seeding is idempotent: running it twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.models import (
    Organisation,
    OrganisationKind,
    PasswordCredential,
    Person,
    Role,
    RoleGrant,
    ScidGrant,
)
from gridmarket.access.passwords import check_password_rules, hash_password
from gridmarket.config import AccessRules
from gridmarket.participants.models import SchedulingCoordinator, Scid, ScStatus
from gridmarket.resources.models import Resource, ResourceAssignment, ResourceType

ISO_NAME = "Western Interconnect ISO"
ISO_STAFF = (
    ("admin", "ISO Administrator", Role.ISO_ADMINISTRATOR),
    ("certification", "Certification Specialist", Role.CERTIFICATION_SPECIALIST),
    ("credit", "Credit Analyst", Role.CREDIT_ANALYST),
    ("operator", "Market Operator", Role.MARKET_OPERATOR),
    ("settlement", "Settlement Analyst", Role.SETTLEMENT_ANALYST_ISO),
)

THERMAL_CATEGORIES = {"Coal", "Oil ST", "Gas CC", "Nuclear", "Sync_Cond"}
PEAKER_CATEGORIES = {"Gas CT", "Oil CT"}
RENEWABLE_CATEGORIES = {"Hydro", "Wind", "Solar PV", "Solar RTPV", "CSP"}


@dataclass(frozen=True)
class DemoCoordinator:
    legal_name: str
    scid: str
    slug: str
    represents: Callable[[Resource], bool]


def _load_of_area(area: int) -> Callable[[Resource], bool]:
    def represents(resource: Resource) -> bool:
        return (
            resource.resource_type == ResourceType.LOAD
            and resource.aggregated_node is not None
            and resource.aggregated_node.area == area
        )

    return represents


def _generator_in(categories: set[str]) -> Callable[[Resource], bool]:
    def represents(resource: Resource) -> bool:
        return resource.resource_type == ResourceType.GENERATOR and resource.category in categories

    return represents


DEMO_COORDINATORS: tuple[DemoCoordinator, ...] = (
    DemoCoordinator("Mesa Public Power", "MPPA", "mesa", _load_of_area(1)),
    DemoCoordinator("Basin Electric Supply", "BESC", "basin", _load_of_area(2)),
    DemoCoordinator("Coastal Light & Power", "CLPC", "coastal", _load_of_area(3)),
    DemoCoordinator(
        "Desert Thermal Generation", "DTGN", "desert", _generator_in(THERMAL_CATEGORIES)
    ),
    DemoCoordinator("Sierra Peaking Power", "SPKR", "sierra", _generator_in(PEAKER_CATEGORIES)),
    DemoCoordinator("Canyon Renewables", "CNRW", "canyon", _generator_in(RENEWABLE_CATEGORIES)),
    DemoCoordinator(
        "Arroyo Storage Partners",
        "ARSP",
        "arroyo",
        lambda r: r.resource_type == ResourceType.STORAGE,
    ),
    DemoCoordinator("Convergence Capital Trading", "CVGT", "convergence", lambda r: False),
)

SC_STAFF = (
    ("uaa", "User Access Administrator", Role.USER_ACCESS_ADMINISTRATOR),
    ("trader", "Trader", Role.TRADER),
    ("settlements", "Settlement Analyst", Role.SETTLEMENT_ANALYST),
)


def seed_demo_participants(session: Session, certified_on: date) -> dict[str, int]:
    """Create the demo ISO and SCs, their people and SCIDs, and assign every resource.

    Returns how many resources each SCID represents. Example::

        counts = seed_demo_participants(session, date(2020, 7, 1))
        assert sum(counts.values()) == number_of_resources
    """
    iso = _organisation(session, ISO_NAME, OrganisationKind.ISO)
    for slug, title, role in ISO_STAFF:
        _person(session, iso, f"{slug}@iso.example", title, role)

    effective_from = datetime.combine(certified_on, datetime.min.time(), tzinfo=UTC)
    resources = list(session.scalars(select(Resource).order_by(Resource.resource_id)))
    counts: dict[str, int] = {}
    for spec in DEMO_COORDINATORS:
        organisation = _organisation(session, spec.legal_name, OrganisationKind.SC)
        coordinator = session.scalar(
            select(SchedulingCoordinator).where(
                SchedulingCoordinator.organisation_id == organisation.id
            )
        )
        if coordinator is None:
            coordinator = SchedulingCoordinator(
                organisation=organisation,
                legal_name=spec.legal_name,
                status=ScStatus.CERTIFIED,
                certified_on=certified_on,
            )
            session.add(coordinator)
            session.flush()
        scid = session.scalar(select(Scid).where(Scid.code == spec.scid))
        if scid is None:
            scid = Scid(code=spec.scid, scheduling_coordinator=coordinator, granted_on=certified_on)
            session.add(scid)
            session.flush()
        for slug, title, role in SC_STAFF:
            person = _person(session, organisation, f"{slug}@{spec.slug}.example", title, role)
            if not session.scalar(
                select(ScidGrant).where(
                    ScidGrant.person_id == person.id, ScidGrant.scid_id == scid.id
                )
            ):
                session.add(ScidGrant(person_id=person.id, scid_id=scid.id))
        counts[spec.scid] = 0
        for resource in resources:
            if spec.represents(resource):
                counts[spec.scid] += 1
                _assign(session, resource, scid, effective_from)
    session.flush()
    return counts


DEMO_PASSWORD = "gridmarket-demo"
"""The demo people's password unless ``GRIDMARKET_DEMO_PASSWORD`` says otherwise."""


def demo_emails() -> list[str]:
    """The e-mail of every demo person: ``admin@iso.example``, ``trader@desert.example``, ..."""
    iso = [f"{slug}@iso.example" for slug, _title, _role in ISO_STAFF]
    sc = [f"{slug}@{spec.slug}.example" for spec in DEMO_COORDINATORS for slug, _t, _r in SC_STAFF]
    return iso + sc


def set_demo_passwords(session: Session, password: str, rules: AccessRules) -> int:
    """Give each demo person without a password ``password``, so people can log in to the demo.

    A password already set (perhaps changed since) is kept. Returns how many were set.
    Example::

        set_demo_passwords(session, "gridmarket-demo", params.access)
    """
    check_password_rules(password, rules)
    password_hash: str | None = None  # Hashed once: argon2 is slow on purpose.
    count = 0
    for email in demo_emails():
        person = session.scalar(select(Person).where(Person.email == email))
        if person is None or session.get(PasswordCredential, person.id) is not None:
            continue
        password_hash = password_hash or hash_password(password, rules)
        session.add(
            PasswordCredential(
                person_id=person.id,
                password_hash=password_hash,
                changed_at=datetime.now(UTC),
                failed_logins=0,
            )
        )
        count += 1
    session.flush()
    return count


def _organisation(session: Session, name: str, kind: OrganisationKind) -> Organisation:
    organisation = session.scalar(select(Organisation).where(Organisation.name == name))
    if organisation is None:
        organisation = Organisation(name=name, kind=kind)
        session.add(organisation)
        session.flush()
    return organisation


def _person(
    session: Session, organisation: Organisation, email: str, title: str, role: Role
) -> Person:
    person = session.scalar(select(Person).where(Person.email == email))
    if person is None:
        person = Person(
            organisation=organisation,
            email=email,
            display_name=f"{organisation.name} {title}",
            roles=[RoleGrant(role=role)],
        )
        session.add(person)
        session.flush()
    return person


def _assign(session: Session, resource: Resource, scid: Scid, effective_from: datetime) -> None:
    open_assignment = session.scalar(
        select(ResourceAssignment).where(
            ResourceAssignment.resource_pk == resource.id,
            ResourceAssignment.effective_to_utc.is_(None),
        )
    )
    if open_assignment is None:
        session.add(
            ResourceAssignment(resource=resource, scid=scid, effective_from_utc=effective_from)
        )
