"""Access administration: organisations, people, passwords, roles and SCID grants.

Who may change what (rulebook §5):

* An ISO administrator creates organisations, creates people in any
  organisation, grants ISO roles to ISO staff, and names an organisation's
  user access administrators (UAA).
* A UAA creates people of its own organisation and grants them SC roles and
  the organisation's own SCIDs; never another organisation's.
* An organisation keeps at least one UAA, and the ISO at least one administrator.

Every change is written to the audit log in the same transaction.

Example::

    person = create_person(session, uaa, organisation_id=uaa.organisation_id,
                           email="trader@sc.example", display_name="Trader", rules=rules)
    grant_role(session, uaa, person.id, Role.TRADER)
    grant_scid(session, uaa, person.id, "DTGA")
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.errors import (
    AccessConflict,
    AccessDenied,
    AccessNotFound,
    InvalidAccessRequest,
)
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
from gridmarket.access.policy import ISO_ROLES, Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.clock import Clock, SystemClock
from gridmarket.config import AccessRules
from gridmarket.participants.models import SchedulingCoordinator, Scid

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SC_SIDE = (OrganisationKind.SC, OrganisationKind.APPLICANT)


def create_organisation(
    session: Session,
    actor: Principal,
    *,
    name: str,
    kind: OrganisationKind,
    clock: Clock | None = None,
) -> Organisation:
    """Register an organisation (ISO administrators only).

    Example::

        applicant = create_organisation(session, admin, name="Sunrise Power",
                                        kind=OrganisationKind.APPLICANT)
    """
    authorize(actor, Action.MANAGE_ORGANISATIONS)
    name = name.strip()
    if not name:
        raise InvalidAccessRequest("an organisation needs a name")
    if session.scalar(select(Organisation.id).where(Organisation.name == name)) is not None:
        raise AccessConflict(f"an organisation named {name!r} already exists")
    organisation = Organisation(name=name, kind=kind, created_at=_now(clock))
    session.add(organisation)
    session.flush()
    _audit(
        session,
        actor,
        "organisation.create",
        "organisation",
        organisation.id,
        clock,
        name=name,
        kind=kind.value,
    )
    return organisation


def create_person(
    session: Session,
    actor: Principal,
    *,
    organisation_id: int,
    email: str,
    display_name: str,
    password: str | None = None,
    rules: AccessRules,
    clock: Clock | None = None,
) -> Person:
    """Create a person with no roles yet; ISO administrators for any organisation,
    a UAA for its own.

    Example::

        person = create_person(session, uaa, organisation_id=uaa.organisation_id,
                               email="ops@sc.example", display_name="Ops desk", rules=rules)
    """
    authorize(actor, Action.MANAGE_PEOPLE)
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise AccessNotFound(f"no organisation with id {organisation_id}")
    if not _is_iso_admin(actor) and actor.organisation_id != organisation_id:
        raise AccessDenied(
            "a user access administrator creates people only in their own organisation",
            actor=actor,
            action=Action.MANAGE_PEOPLE.value,
            object_type="organisation",
            object_id=str(organisation_id),
        )
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise InvalidAccessRequest(f"{email!r} is not an e-mail address")
    if session.scalar(select(Person.id).where(func.lower(Person.email) == email)) is not None:
        raise AccessConflict(f"a person with e-mail {email} already exists")
    if password is not None:
        check_password_rules(password, rules)
    person = Person(
        organisation_id=organisation_id,
        email=email,
        display_name=display_name.strip() or email,
        created_at=_now(clock),
    )
    session.add(person)
    session.flush()
    if password is not None:
        _store_password(session, person, password, rules, clock)
    _audit(
        session,
        actor,
        "person.create",
        "person",
        person.id,
        clock,
        email=email,
        organisation=organisation.name,
        with_password=password is not None,
    )
    return person


def set_password(
    session: Session,
    actor: Principal | None,
    person_id: int,
    password: str,
    *,
    rules: AccessRules,
    clock: Clock | None = None,
) -> None:
    """Set a person's web password: themselves, their organisation's UAA, or an ISO
    administrator (``actor=None``: an operator at the command line). Clears any lockout.

    Example::

        set_password(session, principal, principal.person_id, "a long new passphrase",
                     rules=rules)
    """
    person = _person(session, person_id)
    if actor is not None and actor.person_id != person_id:
        may = _is_iso_admin(actor) or (
            actor.has_any_role(Role.USER_ACCESS_ADMINISTRATOR)
            and actor.organisation_id == person.organisation_id
        )
        if not may:
            raise AccessDenied(
                "only the person, their organisation's UAA or an ISO administrator sets a password",
                actor=actor,
                action="password.set",
                object_type="person",
                object_id=str(person_id),
            )
    check_password_rules(password, rules)
    _store_password(session, person, password, rules, clock)
    _audit(session, actor, "password.set", "person", person.id, clock, email=person.email)


def _store_password(
    session: Session, person: Person, password: str, rules: AccessRules, clock: Clock | None
) -> None:
    credential = session.get(PasswordCredential, person.id)
    if credential is None:
        credential = PasswordCredential(person_id=person.id, failed_logins=0)
        session.add(credential)
    credential.password_hash = hash_password(password, rules)
    credential.changed_at = _now(clock)
    credential.failed_logins = 0
    credential.first_failed_login_at = None
    credential.locked_until = None
    session.flush()


def grant_role(
    session: Session, actor: Principal, person_id: int, role: Role, *, clock: Clock | None = None
) -> RoleGrant:
    """Grant ``role``; granting a role the person already holds changes nothing.

    ISO roles: by an ISO administrator, to ISO staff. SC roles: by a UAA of the
    person's own organisation (an ISO administrator may name a UAA).

    Example::

        grant_role(session, uaa, trader.id, Role.TRADER)
    """
    person = _person(session, person_id)
    _check_may_change_role(session, actor, person, role)
    existing = session.scalar(
        select(RoleGrant).where(RoleGrant.person_id == person_id, RoleGrant.role == role)
    )
    if existing is not None:
        return existing
    grant = RoleGrant(person_id=person_id, role=role, granted_at=_now(clock))
    session.add(grant)
    session.flush()
    _audit(
        session,
        actor,
        "role.grant",
        "person",
        person_id,
        clock,
        email=person.email,
        role=role.value,
    )
    return grant


def revoke_role(
    session: Session, actor: Principal, person_id: int, role: Role, *, clock: Clock | None = None
) -> None:
    """Take ``role`` away, under the same rules as :func:`grant_role`.

    The last UAA of an organisation and the last ISO administrator cannot be removed.

    Example::

        revoke_role(session, uaa, trader.id, Role.TRADER)
    """
    person = _person(session, person_id)
    _check_may_change_role(session, actor, person, role)
    grant = session.scalar(
        select(RoleGrant).where(RoleGrant.person_id == person_id, RoleGrant.role == role)
    )
    if grant is None:
        raise AccessNotFound(f"{person.email} does not hold the role {role.value}")
    if role in (Role.USER_ACCESS_ADMINISTRATOR, Role.ISO_ADMINISTRATOR):
        holders = session.scalar(
            select(func.count())
            .select_from(RoleGrant)
            .join(Person, Person.id == RoleGrant.person_id)
            .where(
                RoleGrant.role == role,
                Person.organisation_id == person.organisation_id,
                Person.active.is_(True),
            )
        )
        if (holders or 0) <= 1:
            raise AccessConflict(
                f"{person.email} is the organisation's last {role.value}; grant the role "
                "to someone else first"
            )
    session.delete(grant)
    session.flush()
    _audit(
        session,
        actor,
        "role.revoke",
        "person",
        person_id,
        clock,
        email=person.email,
        role=role.value,
    )


def _check_may_change_role(session: Session, actor: Principal, person: Person, role: Role) -> None:
    kind = _organisation_kind(session, person)
    if role in ISO_ROLES:
        authorize(actor, Action.GRANT_ISO_ROLES)
        if kind != OrganisationKind.ISO:
            raise InvalidAccessRequest(
                f"{role.value} is an ISO role; {person.email} is not ISO staff"
            )
        return
    if kind not in _SC_SIDE:
        raise InvalidAccessRequest(
            f"{role.value} is a scheduling coordinator role; {person.email} is ISO staff"
        )
    if role == Role.USER_ACCESS_ADMINISTRATOR and _is_iso_admin(actor):
        return  # The ISO names an organisation's UAA, who then manages the rest.
    _check_own_organisation_uaa(actor, person, Action.GRANT_SC_ACCESS)


def grant_scid(
    session: Session,
    actor: Principal,
    person_id: int,
    scid_code: str,
    *,
    clock: Clock | None = None,
) -> ScidGrant:
    """Let a person act for one of their organisation's SCIDs (UAA of that organisation only).

    Example::

        grant_scid(session, uaa, trader.id, "DTGA")
    """
    person = _person(session, person_id)
    _check_own_organisation_uaa(actor, person, Action.GRANT_SC_ACCESS)
    scid = _scid_of_organisation(session, actor, person, scid_code)
    existing = session.scalar(
        select(ScidGrant).where(ScidGrant.person_id == person_id, ScidGrant.scid_id == scid.id)
    )
    if existing is not None:
        return existing
    grant = ScidGrant(person_id=person_id, scid_id=scid.id, granted_at=_now(clock))
    session.add(grant)
    session.flush()
    _audit(
        session, actor, "scid.grant", "person", person_id, clock, email=person.email, scid=scid.code
    )
    return grant


def revoke_scid(
    session: Session,
    actor: Principal,
    person_id: int,
    scid_code: str,
    *,
    clock: Clock | None = None,
) -> None:
    """Withdraw a person's access to one SCID (UAA of their organisation only).

    Example::

        revoke_scid(session, uaa, trader.id, "DTGA")
    """
    person = _person(session, person_id)
    _check_own_organisation_uaa(actor, person, Action.GRANT_SC_ACCESS)
    scid = _scid_of_organisation(session, actor, person, scid_code)
    grant = session.scalar(
        select(ScidGrant).where(ScidGrant.person_id == person_id, ScidGrant.scid_id == scid.id)
    )
    if grant is None:
        raise AccessNotFound(f"{person.email} has no access to SCID {scid.code}")
    session.delete(grant)
    session.flush()
    _audit(
        session,
        actor,
        "scid.revoke",
        "person",
        person_id,
        clock,
        email=person.email,
        scid=scid.code,
    )


def _check_own_organisation_uaa(actor: Principal, person: Person, action: Action) -> None:
    authorize(actor, action)
    if actor.organisation_id != person.organisation_id:
        raise AccessDenied(
            "a user access administrator manages only the people of their own organisation",
            actor=actor,
            action=action.value,
            object_type="person",
            object_id=str(person.id),
        )


def _scid_of_organisation(
    session: Session, actor: Principal, person: Person, scid_code: str
) -> Scid:
    code = scid_code.strip().upper()
    row = session.execute(
        select(Scid, SchedulingCoordinator.organisation_id)
        .join(SchedulingCoordinator, SchedulingCoordinator.id == Scid.scheduling_coordinator_id)
        .where(Scid.code == code)
    ).one_or_none()
    if row is None:
        raise AccessNotFound(f"no SCID {code}")
    scid, owner_organisation_id = row
    if owner_organisation_id != person.organisation_id:
        raise AccessDenied(
            f"SCID {code} belongs to another scheduling coordinator; a user access "
            "administrator grants only their own organisation's SCIDs",
            actor=actor,
            action=Action.GRANT_SC_ACCESS.value,
            object_type="SCID",
            object_id=code,
        )
    return scid


def bootstrap_iso_admin(
    session: Session,
    email: str,
    password: str,
    *,
    rules: AccessRules,
    display_name: str | None = None,
    organisation_name: str = "ISO",
    clock: Clock | None = None,
) -> Person:
    """Create an ISO administrator from the command line (first start, or break-glass).

    Uses the ISO organisation if there is one, else creates it as
    ``organisation_name``. Audited with no actor (an operator at the console).

    Example::

        admin = bootstrap_iso_admin(session, "admin@iso.example", "a long passphrase",
                                    rules=AccessRules())
    """
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise InvalidAccessRequest(f"{email!r} is not an e-mail address")
    if session.scalar(select(Person.id).where(func.lower(Person.email) == email)) is not None:
        raise AccessConflict(f"a person with e-mail {email} already exists")
    check_password_rules(password, rules)
    iso = session.scalar(
        select(Organisation)
        .where(Organisation.kind == OrganisationKind.ISO)
        .order_by(Organisation.id)
    )
    if iso is None:
        iso = Organisation(
            name=organisation_name, kind=OrganisationKind.ISO, created_at=_now(clock)
        )
        session.add(iso)
        session.flush()
        _audit(
            session,
            None,
            "organisation.create",
            "organisation",
            iso.id,
            clock,
            name=iso.name,
            kind=iso.kind.value,
            via="command line",
        )
    person = Person(
        organisation_id=iso.id,
        email=email,
        display_name=display_name or "ISO administrator",
        created_at=_now(clock),
        roles=[RoleGrant(role=Role.ISO_ADMINISTRATOR, granted_at=_now(clock))],
    )
    session.add(person)
    session.flush()
    _store_password(session, person, password, rules, clock)
    _audit(
        session,
        None,
        "person.create",
        "person",
        person.id,
        clock,
        email=email,
        organisation=iso.name,
        role=Role.ISO_ADMINISTRATOR.value,
        via="command line",
    )
    return person


def find_person_by_email(session: Session, email: str) -> Person:
    """The person with ``email`` (any case); :class:`AccessNotFound` if none.

    Example::

        person = find_person_by_email(session, "Trader@SC.example")
    """
    person = session.scalar(select(Person).where(func.lower(Person.email) == email.strip().lower()))
    if person is None:
        raise AccessNotFound(f"no person with e-mail {email.strip()}")
    return person


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise AccessNotFound(f"no person with id {person_id}")
    return person


def _organisation_kind(session: Session, person: Person) -> OrganisationKind:
    kind = session.scalar(
        select(Organisation.kind).where(Organisation.id == person.organisation_id)
    )
    assert kind is not None
    return kind


def _is_iso_admin(actor: Principal) -> bool:
    return actor.is_iso and actor.has_any_role(Role.ISO_ADMINISTRATOR)


def _now(clock: Clock | None) -> datetime:
    return (clock or SystemClock()).now()


def _audit(
    session: Session,
    actor: Principal | None,
    action: str,
    object_type: str,
    object_id: int,
    clock: Clock | None,
    **details: object,
) -> None:
    record_audit(
        session,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        details=details,
        clock=clock,
    )
