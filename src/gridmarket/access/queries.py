"""Read-side functions of the access area: a person's access as others see it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.errors import AccessNotFound
from gridmarket.access.models import Person, Role, RoleGrant, ScidGrant
from gridmarket.participants.models import Scid


@dataclass(frozen=True)
class PersonAccess:
    """A person with the roles and SCIDs granted to them."""

    person_id: int
    organisation_id: int
    email: str
    display_name: str
    active: bool
    roles: list[Role]
    scids: list[str]


def person_access(session: Session, person_id: int) -> PersonAccess:
    """Person ``person_id`` with their roles and SCID codes, sorted.

    Example::

        access = person_access(session, 7)
        access.roles  # [<Role.TRADER: 'TRADER'>]
    """
    person = session.get(Person, person_id)
    if person is None:
        raise AccessNotFound(f"no person with id {person_id}")
    roles = session.scalars(select(RoleGrant.role).where(RoleGrant.person_id == person_id))
    scids = session.scalars(
        select(Scid.code)
        .join(ScidGrant, ScidGrant.scid_id == Scid.id)
        .where(ScidGrant.person_id == person_id)
    )
    return PersonAccess(
        person_id=person.id,
        organisation_id=person.organisation_id,
        email=person.email,
        display_name=person.display_name,
        active=person.active,
        roles=sorted(roles),
        scids=sorted(scids),
    )
