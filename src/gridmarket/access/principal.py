"""Who is calling: a person, their organisation, roles and SCIDs, loaded once per request.

Example::

    principal = load_principal(session, person_id=7)
    if principal.can_act_for("DTGA"):
        ...
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.errors import AccessNotFound, NotAuthenticated
from gridmarket.access.models import (
    Organisation,
    OrganisationKind,
    Person,
    Role,
    RoleGrant,
    ScidGrant,
)
from gridmarket.participants.models import Scid


@dataclass(frozen=True)
class Principal:
    """An authenticated person as the rest of the code sees them.

    Example::

        >>> from gridmarket.access.models import Role
        >>> trader = Principal(person_id=3, organisation_id=2, email="t@sc.example",
        ...                    roles=frozenset({Role.TRADER}), scids=frozenset({"DTGA"}),
        ...                    is_iso=False)
        >>> trader.can_act_for("DTGA"), trader.can_act_for("OTHR")
        (True, False)
    """

    person_id: int
    organisation_id: int
    email: str
    roles: frozenset[Role]
    scids: frozenset[str]
    is_iso: bool

    def has_any_role(self, *roles: Role) -> bool:
        """True when the person holds at least one of ``roles``.

        Example::

            >>> Principal(1, 1, "a@iso.example", frozenset({Role.CREDIT_ANALYST}),
            ...           frozenset(), True).has_any_role(Role.CREDIT_ANALYST, Role.TRADER)
            True
        """
        return not self.roles.isdisjoint(roles)

    def can_act_for(self, scid: str) -> bool:
        """ISO staff see every SCID; SC people only the SCIDs granted to them.

        Example::

            >>> Principal(1, 1, "a@iso.example", frozenset(), frozenset(), True).can_act_for("X")
            True
        """
        return self.is_iso or scid in self.scids


def load_principal(session: Session, person_id: int) -> Principal:
    """Load person ``person_id`` with their roles and granted SCID codes.

    Raises :class:`AccessNotFound` for an unknown person and
    :class:`NotAuthenticated` for a deactivated one.

    Example::

        principal = load_principal(session, 7)
        principal.roles  # frozenset({<Role.TRADER: 'TRADER'>})
    """
    row = session.execute(
        select(Person, Organisation.kind)
        .join(Organisation, Organisation.id == Person.organisation_id)
        .where(Person.id == person_id)
    ).one_or_none()
    if row is None:
        raise AccessNotFound(f"no person with id {person_id}")
    person, kind = row
    if not person.active:
        raise NotAuthenticated(f"person {person.email} is deactivated")
    roles = session.scalars(select(RoleGrant.role).where(RoleGrant.person_id == person.id))
    scids = session.scalars(
        select(Scid.code)
        .join(ScidGrant, ScidGrant.scid_id == Scid.id)
        .where(ScidGrant.person_id == person.id)
    )
    return Principal(
        person_id=person.id,
        organisation_id=person.organisation_id,
        email=person.email,
        roles=frozenset(roles),
        scids=frozenset(scids),
        is_iso=kind == OrganisationKind.ISO,
    )
