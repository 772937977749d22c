"""Who is looking at a page: the logged-in person and what the navigation needs about them.

Pages use the same credential as the API (the ``gridmarket_session`` cookie,
resolved by :func:`gridmarket.api.security.current_principal`), so a page
and an API call made in the same browser are the same person's acts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.errors import NotAuthenticated
from gridmarket.access.models import Organisation, OrganisationKind, Person
from gridmarket.access.policy import Action, roles_for
from gridmarket.access.principal import Principal
from gridmarket.api.deps import SessionDep
from gridmarket.api.security import SESSION_COOKIE, ClockDep, current_principal
from gridmarket.participants.models import ScApplication, SchedulingCoordinator


@dataclass(frozen=True)
class Viewer:
    """A logged-in person with their organisation and its SC record, if any."""

    principal: Principal
    display_name: str
    organisation_name: str
    organisation_kind: OrganisationKind
    coordinator_id: int | None
    """The SC record of the person's organisation (an applicant's too)."""
    application_id: int | None

    @property
    def is_iso(self) -> bool:
        return self.principal.is_iso

    @property
    def is_applicant(self) -> bool:
        return self.organisation_kind == OrganisationKind.APPLICANT

    @property
    def scids(self) -> list[str]:
        return sorted(self.principal.scids)

    def may(self, action: Action) -> bool:
        """True when one of the person's roles allows ``action`` (the access policy's table)."""
        return self.principal.has_any_role(*roles_for(action))


def load_viewer(session: Session, principal: Principal) -> Viewer:
    """The :class:`Viewer` for ``principal``."""
    person = session.get(Person, principal.person_id)
    organisation = session.get(Organisation, principal.organisation_id)
    assert person is not None and organisation is not None
    coordinator_id = session.scalar(
        select(SchedulingCoordinator.id).where(
            SchedulingCoordinator.organisation_id == organisation.id
        )
    )
    application_id = (
        session.scalar(
            select(ScApplication.id).where(
                ScApplication.scheduling_coordinator_id == coordinator_id
            )
        )
        if coordinator_id is not None
        else None
    )
    return Viewer(
        principal=principal,
        display_name=person.display_name,
        organisation_name=organisation.name,
        organisation_kind=organisation.kind,
        coordinator_id=coordinator_id,
        application_id=application_id,
    )


def optional_viewer(request: Request, session: SessionDep, clock: ClockDep) -> Viewer | None:
    """The logged-in person, or None without a session cookie.

    A cookie that is no longer valid raises NotAuthenticated (audited like
    any rejected credential); the pages answer it with the login page.
    """
    if not request.cookies.get(SESSION_COOKIE):
        return None
    return load_viewer(session, current_principal(request, session, clock))


OptionalViewer = Annotated[Viewer | None, Depends(optional_viewer)]


def required_viewer(viewer: OptionalViewer) -> Viewer:
    """The logged-in person; NotAuthenticated (the login page) for anyone else."""
    if viewer is None:
        raise NotAuthenticated("log in to see this page")
    return viewer


ViewerDep = Annotated[Viewer, Depends(required_viewer)]
