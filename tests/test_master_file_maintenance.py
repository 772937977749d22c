"""Master File maintenance by the ISO: every changed field keeps its history."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import AccessWorld
from tests.resource_helpers import committed, make_resource, migrated

from gridmarket.access.errors import AccessDenied
from gridmarket.access.models import AuditEntry, OrganisationKind, Role
from gridmarket.access.principal import Principal
from gridmarket.api.app import create_app
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters, Settings
from gridmarket.errors import InvalidInput
from gridmarket.resources.master_file import resource_history, update_resource
from gridmarket.resources.models import MeteringType, Resource, ResourceAssignment, ResourceType

AT = datetime(2020, 7, 1, 16, tzinfo=UTC)
EFFECTIVE = date(2020, 8, 1)


@pytest.fixture
def specialist(access_world: AccessWorld) -> Principal:
    iso = access_world.organisation(OrganisationKind.ISO)
    return access_world.principal(access_world.person(iso, Role.CERTIFICATION_SPECIALIST))


def test_an_update_changes_the_resource_and_records_each_field(
    db_session: Session, specialist: Principal
) -> None:
    resource = make_resource(db_session)
    rows = update_resource(
        db_session,
        specialist,
        resource.resource_id,
        {"p_max_mw": "55.5", "p_min_mw": 10, "is_rmr": True, "metering_type": "sc_metered"},
        EFFECTIVE,
        "uprate after overhaul; RMR contract signed",
        clock=FixedClock(AT),
    )
    # p_min_mw did not change, so it is not recorded.
    assert [(r.field, r.old_value, r.new_value) for r in rows] == [
        ("p_max_mw", "50", "55.5"),
        ("is_rmr", "false", "true"),
        ("metering_type", "ISO_METERED", "SC_METERED"),
    ]
    assert resource.p_max_mw == Decimal("55.5")
    assert resource.is_rmr is True
    assert resource.metering_type is MeteringType.SC_METERED

    update_resource(
        db_session,
        specialist,
        resource.resource_id,
        {"p_max_mw": 60},
        date(2020, 9, 1),
        "second uprate",
        clock=FixedClock(AT),
    )
    history = resource_history(db_session, resource.resource_id)
    assert [(h.field, h.old_value, h.new_value, h.effective_from) for h in history] == [
        ("p_max_mw", "50", "55.5", EFFECTIVE),
        ("is_rmr", "false", "true", EFFECTIVE),
        ("metering_type", "ISO_METERED", "SC_METERED", EFFECTIVE),
        ("p_max_mw", "55.5", "60", date(2020, 9, 1)),
    ]
    assert all(h.actor_person_id == specialist.person_id for h in history)
    assert history[0].changed_at == AT
    assert history[0].reason == "uprate after overhaul; RMR contract signed"
    audit = db_session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_id == resource.resource_id)
        .order_by(AuditEntry.sequence)
    ).all()
    assert [a.action for a in audit] == ["master_file.update", "master_file.update"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"p_max_mw": "-5"}, "p_max_mw", "must not be negative"),
        ({"p_min_mw": "80"}, "p_min_mw", "Pmin 80 MW would exceed Pmax 50 MW"),
        ({"p_max_mw": "5"}, "p_max_mw", "would exceed Pmax 5 MW"),
        ({"p_min_mw": "-1"}, "p_min_mw", "must not be negative"),
        ({"colour": "blue"}, "colour", "not a Master File field"),
        ({"resource_id": "NEW_ID"}, "resource_id", "not a Master File field"),
        ({"ramp_rate_mw_per_min": "fast"}, "ramp_rate_mw_per_min", "must be a number"),
        ({"min_up_hours": "1.5"}, "min_up_hours", "whole number"),
        ({"is_rmr": "maybe"}, "is_rmr", "true or false"),
        ({"metering_type": "PSYCHIC"}, "metering_type", "ISO_METERED, SC_METERED"),
        ({"ra_capacity_mw": "70"}, "ra_capacity_mw", "RA capacity 70 MW would exceed Pmax"),
        ({"name": None}, "name", "must have a value"),
        ({"telemetry_required": False}, "telemetry_required", "telemetry is required"),
    ],
)
def test_an_invalid_change_is_refused_naming_the_field_and_nothing_changes(
    db_session: Session,
    specialist: Principal,
    changes: dict[str, object],
    field: str,
    message: str,
) -> None:
    resource = make_resource(db_session)
    with pytest.raises(InvalidInput, match=message) as error:
        update_resource(db_session, specialist, resource.resource_id, changes, EFFECTIVE, "fix")
    assert error.value.field == field
    assert resource.p_max_mw == Decimal("50") and resource.p_min_mw == Decimal("10")
    assert resource_history(db_session, resource.resource_id) == []


def test_a_storage_resource_may_have_a_negative_pmin(
    db_session: Session, specialist: Principal
) -> None:
    battery = make_resource(db_session, resource_type=ResourceType.STORAGE, category="Storage")
    update_resource(
        db_session, specialist, battery.resource_id, {"p_min_mw": "-50"}, EFFECTIVE, "NGR"
    )
    assert battery.p_min_mw == Decimal("-50")


def test_a_small_unit_needs_no_telemetry_until_it_provides_regulation(
    db_session: Session, specialist: Principal
) -> None:
    small = make_resource(
        db_session, p_min_mw=Decimal(1), p_max_mw=Decimal(5), ra_capacity_mw=Decimal(5)
    )
    update_resource(
        db_session, specialist, small.resource_id, {"telemetry_required": False}, EFFECTIVE, "5 MW"
    )
    with pytest.raises(InvalidInput) as error:
        update_resource(
            db_session,
            specialist,
            small.resource_id,
            {"certified_regulation": True},
            EFFECTIVE,
            "regulation",
        )
    assert error.value.field == "telemetry_required"
    update_resource(
        db_session,
        specialist,
        small.resource_id,
        {"certified_regulation": True, "telemetry_required": True},
        EFFECTIVE,
        "regulation with telemetry",
    )
    assert small.certified_regulation and small.telemetry_required


def test_only_iso_master_file_staff_maintain_it(
    db_session: Session, access_world: AccessWorld
) -> None:
    resource = make_resource(db_session)
    sc, [scid] = access_world.scheduling_coordinator()
    trader = access_world.principal(access_world.person(sc, Role.TRADER, scids=(scid,)))
    with pytest.raises(AccessDenied):
        update_resource(db_session, trader, resource.resource_id, {"p_max_mw": 1}, EFFECTIVE, "x")
    with pytest.raises(InvalidInput, match="reason"):
        iso = access_world.organisation(OrganisationKind.ISO)
        admin = access_world.principal(access_world.person(iso, Role.ISO_ADMINISTRATOR))
        update_resource(db_session, admin, resource.resource_id, {"p_max_mw": 1}, EFFECTIVE, " ")


# --- over HTTP ---------------------------------------------------------------------------


@pytest.fixture
def fresh_url(empty_database_url: str) -> str:
    """A database of this test's own, so what it commits stays out of the shared one."""
    return migrated(empty_database_url)


@pytest.fixture
def http_world(
    fresh_url: str, access_world_factory: Callable[[Session], AccessWorld]
) -> dict[str, object]:
    with committed(fresh_url) as session:
        world = access_world_factory(session)
        iso = world.organisation(OrganisationKind.ISO)
        sc, [scid] = world.scheduling_coordinator()
        resource = make_resource(session, "MF")
        # The SC sees the history of resources its SCIDs represent, and no others.
        session.add(
            ResourceAssignment(
                resource_pk=resource.id,
                scid_id=scid.id,
                effective_from_utc=datetime(2020, 1, 1, tzinfo=UTC),
            )
        )
        specialist = world.person(iso, Role.CERTIFICATION_SPECIALIST)
        trader = world.person(sc, Role.TRADER, scids=(scid,))
        return {
            "resource_id": resource.resource_id,
            "iso": {"Authorization": f"Bearer {world.api_token(specialist)}"},
            "sc": {"Authorization": f"Bearer {world.api_token(trader)}"},
        }


@pytest.fixture
def client(fresh_url: str, access_parameters: MarketParameters) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=fresh_url, market=access_parameters))
    app.state.clock = FixedClock(AT)
    with TestClient(app) as test_client:
        yield test_client


def test_master_file_maintenance_over_http(
    client: TestClient, http_world: dict[str, object], fresh_url: str
) -> None:
    path = f"/api/v1/resources/{http_world['resource_id']}"
    body = {
        "changes": {"p_max_mw": "48", "ra_capacity_mw": "48"},
        "effective_from": "2020-08-01",
        "reason": "derate",
    }
    assert client.patch(path, json=body, headers=http_world["sc"]).status_code == 403
    refused = client.patch(
        path, json={**body, "changes": {"p_max_mw": "-1"}}, headers=http_world["iso"]
    )
    assert refused.status_code == 422
    assert refused.json()["field"] == "p_max_mw"
    changed = client.patch(path, json=body, headers=http_world["iso"])
    assert changed.status_code == 200, changed.text
    assert changed.json()[0]["old_value"] == "50"
    history = client.get(f"{path}/history", headers=http_world["sc"]).json()
    assert [(h["field"], h["new_value"], h["effective_from"]) for h in history] == [
        ("p_max_mw", "48", "2020-08-01"),
        ("ra_capacity_mw", "48", "2020-08-01"),
    ]
    assert client.get(f"{path}/history").status_code == 401
    with committed(fresh_url) as session:
        stored = session.scalars(
            select(Resource).where(Resource.resource_id == http_world["resource_id"])
        ).one()
        assert stored.p_max_mw == Decimal("48")
