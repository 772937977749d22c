"""Self-registration of a new market entrant, the first step to applying as an SC.

Anyone may register a company: it becomes an APPLICANT organisation whose
first person is its user access administrator, with their own password.
That person then logs in, creates an API token and files the application.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.models import Organisation, OrganisationKind, Person, Role, RoleGrant
from gridmarket.access.service import set_password
from gridmarket.clock import Clock
from gridmarket.config import AccessRules
from gridmarket.errors import Conflict


class Registration(BaseModel):
    organisation_name: str = Field(min_length=2, max_length=200)
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    display_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


def register_applicant(
    session: Session, registration: Registration, rules: AccessRules, clock: Clock
) -> Person:
    """Create the applicant organisation and its user access administrator.

    Example::

        uaa = register_applicant(session, Registration(organisation_name="Sunrise Power",
                                 email="uaa@sunrise.example", display_name="Ana",
                                 password="a long passphrase"), params.access, clock)
    """
    name = registration.organisation_name.strip()
    email = registration.email.strip().lower()
    if session.scalar(select(Organisation.id).where(func.lower(Organisation.name) == name.lower())):
        raise Conflict(
            f"an organisation named {name!r} is already registered", field="organisation_name"
        )
    if session.scalar(select(Person.id).where(func.lower(Person.email) == email)):
        raise Conflict(f"{email} is already registered", field="email")
    organisation = Organisation(name=name, kind=OrganisationKind.APPLICANT, created_at=clock.now())
    session.add(organisation)
    session.flush()
    person = Person(
        organisation_id=organisation.id,
        email=email,
        display_name=registration.display_name.strip(),
        created_at=clock.now(),
        roles=[RoleGrant(role=Role.USER_ACCESS_ADMINISTRATOR, granted_at=clock.now())],
    )
    session.add(person)
    session.flush()
    set_password(session, None, person.id, registration.password, rules=rules, clock=clock)
    record_audit(
        session,
        actor=None,
        actor_email=email,
        action="registration.create",
        object_type="organisation",
        object_id=str(organisation.id),
        details={"name": name},
        clock=clock,
    )
    return person
