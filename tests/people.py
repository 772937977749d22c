"""Test helpers: organisations and people with roles, as principals."""

from __future__ import annotations

from itertools import count

from sqlalchemy.orm import Session

from gridmarket.access.models import Organisation, OrganisationKind, Person, Role, RoleGrant
from gridmarket.access.principal import Principal, load_principal

_serial = count(1)


def make_organisation(
    session: Session, kind: OrganisationKind, name: str | None = None
) -> Organisation:
    organisation = Organisation(name=name or f"{kind.value.title()} {next(_serial)}", kind=kind)
    session.add(organisation)
    session.flush()
    return organisation


def make_person(session: Session, organisation: Organisation, *roles: Role) -> Principal:
    person = Person(
        organisation_id=organisation.id,
        email=f"person{next(_serial)}@{organisation.kind.value.lower()}.example",
        display_name="Test Person",
        roles=[RoleGrant(role=role) for role in roles],
    )
    session.add(person)
    session.flush()
    return load_principal(session, person.id)
