"""Who grants what: only an organisation's UAA grants its SC roles and its own SCIDs;
ISO administrators grant ISO roles and name UAAs. The policy table covers every action."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from gridmarket.access.errors import (
    AccessConflict,
    AccessDenied,
    InvalidAccessRequest,
    NotVisible,
)
from gridmarket.access.models import OrganisationKind, Role
from gridmarket.access.policy import (
    ACTION_ROLES,
    ISO_ROLES,
    SC_ROLES,
    Action,
    authorize,
    roles_for,
)
from gridmarket.access.principal import Principal
from gridmarket.access.queries import person_access
from gridmarket.access.service import (
    create_organisation,
    create_person,
    grant_role,
    grant_scid,
    revoke_role,
    revoke_scid,
)

if TYPE_CHECKING:
    from tests.conftest import AccessWorld


def test_every_action_is_in_the_policy_table_with_at_least_one_role() -> None:
    assert set(ACTION_ROLES) == set(Action)
    assert all(ACTION_ROLES[action] for action in Action)
    assert roles_for(Action.VIEW_AUDIT_LOG) == {Role.ISO_ADMINISTRATOR}
    assert Role.READ_ONLY in roles_for(Action.VIEW_RESOURCE)
    assert ISO_ROLES.isdisjoint(SC_ROLES)


def _principal(roles: set[Role], scids: set[str], is_iso: bool) -> Principal:
    return Principal(
        person_id=1,
        organisation_id=1,
        email="someone@example.com",
        roles=frozenset(roles),
        scids=frozenset(scids),
        is_iso=is_iso,
    )


def test_authorize_denies_an_action_none_of_the_roles_allow() -> None:
    trader = _principal({Role.TRADER}, {"AAAA"}, is_iso=False)
    authorize(trader, Action.SUBMIT_TRANSFER, scid="AAAA")
    with pytest.raises(AccessDenied, match="may not certify sc") as denied:
        authorize(trader, Action.CERTIFY_SC)
    assert denied.value.refusal.outcome == "denied"
    assert denied.value.refusal.actor == trader


def test_another_scs_scid_is_not_visible_while_iso_staff_see_every_scid() -> None:
    trader = _principal({Role.READ_ONLY}, {"AAAA"}, is_iso=False)
    with pytest.raises(NotVisible) as hidden:
        authorize(trader, Action.VIEW_RESOURCE, scid="BBBB")
    assert hidden.value.refusal.object_id == "BBBB"
    assert hidden.value.refusal.outcome == "not_visible"
    operator = _principal({Role.MARKET_OPERATOR}, set(), is_iso=True)
    authorize(operator, Action.VIEW_RESOURCE, scid="BBBB")
    assert operator.can_act_for("ANY1")


def test_principal_carries_the_granted_roles_and_scids(access_world: AccessWorld) -> None:
    organisation, scids = access_world.scheduling_coordinator(scid_count=2)
    person = access_world.person(organisation, Role.TRADER, Role.READ_ONLY, scids=(scids[0],))
    principal = access_world.principal(person)
    assert principal.roles == {Role.TRADER, Role.READ_ONLY}
    assert principal.scids == {scids[0].code}
    assert not principal.is_iso
    assert principal.can_act_for(scids[0].code) and not principal.can_act_for(scids[1].code)


def test_a_uaa_grants_sc_roles_and_the_organisations_own_scids(access_world: AccessWorld) -> None:
    organisation, scids = access_world.scheduling_coordinator()
    uaa = access_world.principal(access_world.person(organisation, Role.USER_ACCESS_ADMINISTRATOR))
    newcomer = create_person(
        access_world.session,
        uaa,
        organisation_id=organisation.id,
        email="Desk@Example.com",
        display_name="Trading desk",
        rules=access_world.rules,
    )
    grant_role(access_world.session, uaa, newcomer.id, Role.TRADER)
    grant_scid(access_world.session, uaa, newcomer.id, scids[0].code.lower())
    granted = person_access(access_world.session, newcomer.id)
    assert granted.email == "desk@example.com"
    assert granted.roles == [Role.TRADER]
    assert granted.scids == [scids[0].code]

    revoke_scid(access_world.session, uaa, newcomer.id, scids[0].code)
    revoke_role(access_world.session, uaa, newcomer.id, Role.TRADER)
    assert person_access(access_world.session, newcomer.id).roles == []


def test_a_trader_cannot_grant_roles_or_scids(access_world: AccessWorld) -> None:
    organisation, scids = access_world.scheduling_coordinator()
    trader = access_world.principal(access_world.person(organisation, Role.TRADER))
    colleague = access_world.person(organisation, Role.READ_ONLY)
    with pytest.raises(AccessDenied, match="USER_ACCESS_ADMINISTRATOR"):
        grant_role(access_world.session, trader, colleague.id, Role.TRADER)
    with pytest.raises(AccessDenied):
        grant_scid(access_world.session, trader, colleague.id, scids[0].code)


def test_a_uaa_cannot_grant_another_scs_scid(access_world: AccessWorld) -> None:
    organisation, _ = access_world.scheduling_coordinator()
    _, other_scids = access_world.scheduling_coordinator()
    uaa = access_world.principal(access_world.person(organisation, Role.USER_ACCESS_ADMINISTRATOR))
    trader = access_world.person(organisation, Role.TRADER)
    with pytest.raises(AccessDenied, match="belongs to another scheduling coordinator") as denied:
        grant_scid(access_world.session, uaa, trader.id, other_scids[0].code)
    assert denied.value.refusal.object_id == other_scids[0].code


def test_a_uaa_manages_only_the_people_of_its_own_organisation(
    access_world: AccessWorld,
) -> None:
    organisation, _ = access_world.scheduling_coordinator()
    other, other_scids = access_world.scheduling_coordinator()
    uaa = access_world.principal(access_world.person(organisation, Role.USER_ACCESS_ADMINISTRATOR))
    outsider = access_world.person(other, Role.READ_ONLY)
    with pytest.raises(AccessDenied, match="own organisation"):
        grant_role(access_world.session, uaa, outsider.id, Role.TRADER)
    with pytest.raises(AccessDenied, match="own organisation"):
        grant_scid(access_world.session, uaa, outsider.id, other_scids[0].code)
    with pytest.raises(AccessDenied, match="own organisation"):
        create_person(
            access_world.session,
            uaa,
            organisation_id=other.id,
            email="spy@example.com",
            display_name="Spy",
            rules=access_world.rules,
        )


def test_iso_administrator_grants_iso_roles_and_names_uaas_but_not_sc_roles(
    access_world: AccessWorld,
) -> None:
    iso = access_world.organisation(OrganisationKind.ISO)
    admin = access_world.principal(access_world.person(iso, Role.ISO_ADMINISTRATOR))
    analyst = access_world.person(iso)
    grant_role(access_world.session, admin, analyst.id, Role.CREDIT_ANALYST)
    assert person_access(access_world.session, analyst.id).roles == [Role.CREDIT_ANALYST]

    applicant = create_organisation(
        access_world.session, admin, name="Sunrise Power", kind=OrganisationKind.APPLICANT
    )
    first = create_person(
        access_world.session,
        admin,
        organisation_id=applicant.id,
        email="uaa@sunrise.example",
        display_name="Sunrise UAA",
        rules=access_world.rules,
    )
    grant_role(access_world.session, admin, first.id, Role.USER_ACCESS_ADMINISTRATOR)
    with pytest.raises(AccessDenied):
        grant_role(access_world.session, admin, first.id, Role.TRADER)
    with pytest.raises(InvalidAccessRequest, match="not ISO staff"):
        grant_role(access_world.session, admin, first.id, Role.CREDIT_ANALYST)


def test_a_uaa_cannot_grant_iso_roles(access_world: AccessWorld) -> None:
    organisation, _ = access_world.scheduling_coordinator()
    uaa_person = access_world.person(organisation, Role.USER_ACCESS_ADMINISTRATOR)
    uaa = access_world.principal(uaa_person)
    with pytest.raises(AccessDenied, match="ISO_ADMINISTRATOR"):
        grant_role(access_world.session, uaa, uaa_person.id, Role.ISO_ADMINISTRATOR)


def test_an_organisation_keeps_at_least_one_uaa(access_world: AccessWorld) -> None:
    organisation, _ = access_world.scheduling_coordinator()
    only = access_world.person(organisation, Role.USER_ACCESS_ADMINISTRATOR)
    uaa = access_world.principal(only)
    with pytest.raises(AccessConflict, match="last USER_ACCESS_ADMINISTRATOR"):
        revoke_role(access_world.session, uaa, only.id, Role.USER_ACCESS_ADMINISTRATOR)
    second = access_world.person(organisation)
    grant_role(access_world.session, uaa, second.id, Role.USER_ACCESS_ADMINISTRATOR)
    revoke_role(access_world.session, uaa, only.id, Role.USER_ACCESS_ADMINISTRATOR)
    assert person_access(access_world.session, only.id).roles == []


def test_duplicate_email_is_a_conflict(access_world: AccessWorld) -> None:
    iso = access_world.organisation(OrganisationKind.ISO)
    admin_person = access_world.person(iso, Role.ISO_ADMINISTRATOR)
    admin = access_world.principal(admin_person)
    with pytest.raises(AccessConflict, match="already exists"):
        create_person(
            access_world.session,
            admin,
            organisation_id=iso.id,
            email=admin_person.email.upper(),
            display_name="Twin",
            rules=access_world.rules,
        )
