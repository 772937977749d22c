"""Revenue meter and telemetry certification: what is required, expiry, notices, bidding gate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import AccessWorld
from tests.resource_helpers import TINY_PDF, assign, committed, make_resource, migrated
from typer.testing import CliRunner

from gridmarket.access.errors import AccessDenied
from gridmarket.access.models import OrganisationKind, Role
from gridmarket.access.principal import Principal
from gridmarket.cli.main import app as cli
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters, get_settings
from gridmarket.errors import InvalidInput
from gridmarket.participants.models import Document, Notice
from gridmarket.resources.certifications import (
    NOTICE_EXPIRED,
    NOTICE_EXPIRING,
    bid_eligibility,
    certify_demo_resources,
    missing_certifications,
    raise_certification_notices,
    record_certification,
    required_certifications,
)
from gridmarket.resources.models import CertificationKind, MeteringType, Resource, ResourceType
from gridmarket.resources.uploads import UploadedFile

METER = CertificationKind.REVENUE_METER
TELEMETRY = CertificationKind.TELEMETRY
CLOCK = FixedClock(datetime(2020, 6, 1, 16, tzinfo=UTC))


@pytest.fixture
def specialist(access_world: AccessWorld) -> Principal:
    iso = access_world.organisation(OrganisationKind.ISO)
    return access_world.principal(access_world.person(iso, Role.CERTIFICATION_SPECIALIST))


def test_iso_metered_units_need_a_meter_and_large_or_regulating_units_telemetry(
    db_session: Session,
) -> None:
    large = make_resource(db_session)
    small = make_resource(
        db_session,
        p_min_mw=Decimal(1),
        p_max_mw=Decimal("9.9"),
        ra_capacity_mw=Decimal(0),
        telemetry_required=False,
    )
    small_regulating = make_resource(
        db_session,
        p_min_mw=Decimal(1),
        p_max_mw=Decimal(5),
        ra_capacity_mw=Decimal(0),
        telemetry_required=False,
        certified_regulation=True,
    )
    load = make_resource(
        db_session,
        resource_type=ResourceType.LOAD,
        metering_type=MeteringType.SC_METERED,
        telemetry_required=False,
    )
    assert required_certifications(large) == [METER, TELEMETRY]
    assert required_certifications(small) == [METER]
    assert required_certifications(small_regulating) == [METER, TELEMETRY]
    assert required_certifications(load) == []


def test_a_resource_without_its_certifications_may_not_bid(
    db_session: Session, specialist: Principal
) -> None:
    unit = make_resource(db_session)
    assert missing_certifications(db_session, unit, date(2020, 7, 1)) == [
        "no revenue meter certification on record",
        "no telemetry certification on record",
    ]
    record_certification(
        db_session, specialist, unit.resource_id, METER, date(2020, 1, 1), clock=CLOCK
    )
    record_certification(
        db_session,
        specialist,
        unit.resource_id,
        TELEMETRY,
        date(2019, 7, 1),
        date(2020, 6, 30),
        evidence=UploadedFile("telemetry-test.pdf", TINY_PDF),
        clock=CLOCK,
    )
    assert missing_certifications(db_session, unit, date(2020, 6, 29)) == []
    assert bid_eligibility(db_session, unit, date(2020, 6, 29)) == []
    # Counted up to, not including, the expiry date.
    assert missing_certifications(db_session, unit, date(2020, 6, 30)) == [
        "telemetry certification expired on 2020-06-30"
    ]
    assert bid_eligibility(db_session, unit, date(2020, 7, 1)) == [
        f"{unit.resource_id}: telemetry certification expired on 2020-06-30"
    ]
    assert missing_certifications(db_session, unit, date(2019, 12, 31)) == [
        "revenue meter certification takes effect only on 2020-01-01"
    ]
    # Recertification adds a row; the expired one stays in the history.
    record_certification(
        db_session, specialist, unit.resource_id, TELEMETRY, date(2020, 7, 2), clock=CLOCK
    )
    assert missing_certifications(db_session, unit, date(2020, 7, 2)) == []
    assert missing_certifications(db_session, unit, date(2020, 7, 1)) == [
        "telemetry certification takes effect only on 2020-07-02"
    ]


def test_a_certification_without_expiry_lasts_the_configured_validity(
    db_session: Session, specialist: Principal
) -> None:
    unit = make_resource(db_session)
    params = MarketParameters.model_validate({"resources": {"certification_validity_days": 400}})
    certification = record_certification(
        db_session, specialist, unit.resource_id, METER, date(2020, 1, 1), params=params
    )
    assert certification.expires_on == date(2021, 2, 4)


def test_bad_certifications_are_refused(
    db_session: Session, specialist: Principal, access_world: AccessWorld
) -> None:
    unit = make_resource(db_session)
    with pytest.raises(InvalidInput) as error:
        record_certification(
            db_session, specialist, unit.resource_id, METER, date(2020, 1, 1), date(2020, 1, 1)
        )
    assert error.value.field == "expires_on"
    documents = db_session.scalar(select(func.count()).select_from(Document))
    with pytest.raises(InvalidInput, match="evidence of revenue meter certification") as error:
        record_certification(
            db_session,
            specialist,
            unit.resource_id,
            METER,
            date(2020, 1, 1),
            evidence=UploadedFile("photo.png", b"\x89PNG\r\n\x1a\n...", "image/png"),
        )
    assert error.value.field == "evidence"
    assert db_session.scalar(select(func.count()).select_from(Document)) == documents
    sc, [scid] = access_world.scheduling_coordinator()
    trader = access_world.principal(access_world.person(sc, Role.TRADER, scids=(scid,)))
    with pytest.raises(AccessDenied):
        record_certification(db_session, trader, unit.resource_id, METER, date(2020, 1, 1))


def test_expiring_and_expired_certifications_raise_a_notice_once(
    db_session: Session, specialist: Principal, access_world: AccessWorld
) -> None:
    _sc, [scid] = access_world.scheduling_coordinator()
    unit = make_resource(db_session)
    assign(db_session, unit, scid)
    record_certification(
        db_session, specialist, unit.resource_id, METER, date(2019, 1, 1), date(2020, 7, 10)
    )
    record_certification(
        db_session, specialist, unit.resource_id, TELEMETRY, date(2019, 1, 1), date(2020, 6, 5)
    )
    today = date(2020, 6, 15)  # meter expires in 25 days (< 30), telemetry has expired

    raised = raise_certification_notices(db_session, today)
    mine = [n for n in raised if unit.resource_id in n.subject]
    assert sorted((n.kind, n.subject) for n in mine) == [
        (NOTICE_EXPIRED, f"{unit.resource_id}: telemetry certification expired on 2020-06-05"),
        (NOTICE_EXPIRING, f"{unit.resource_id}: revenue meter certification expires on 2020-07-10"),
    ]
    assert {n.scheduling_coordinator_id for n in mine} == {scid.scheduling_coordinator_id}
    assert "Bids for the resource are invalid" in next(
        n.body for n in mine if n.kind == NOTICE_EXPIRED
    )

    again = raise_certification_notices(db_session, today)
    assert [n for n in again if unit.resource_id in n.subject] == []
    again_later = raise_certification_notices(db_session, date(2020, 6, 20))
    assert [n for n in again_later if unit.resource_id in n.subject] == []
    notices = db_session.scalar(
        select(func.count()).select_from(Notice).where(Notice.subject.contains(unit.resource_id))
    )
    assert notices == 2


def test_a_certification_far_from_expiry_raises_no_notice(
    db_session: Session, specialist: Principal, access_world: AccessWorld
) -> None:
    _sc, [scid] = access_world.scheduling_coordinator()
    unit = make_resource(db_session)
    assign(db_session, unit, scid)
    for kind in (METER, TELEMETRY):
        record_certification(
            db_session, specialist, unit.resource_id, kind, date(2020, 1, 1), date(2020, 7, 16)
        )
    raised = raise_certification_notices(db_session, date(2020, 6, 15))  # 31 days before
    assert [n for n in raised if unit.resource_id in n.subject] == []


def test_the_demo_resources_can_be_certified_once(rts_loaded: Engine, db_session: Session) -> None:
    day = date(2020, 6, 1)
    added = certify_demo_resources(db_session, day)
    assert added > 0
    assert certify_demo_resources(db_session, day) == 0
    resources = db_session.scalars(select(Resource)).all()
    assert all(bid_eligibility(db_session, r, date(2020, 7, 15)) == [] for r in resources)


@pytest.fixture
def fresh_url(empty_database_url: str) -> str:
    """A database of this test's own, so what it commits stays out of the shared one."""
    return migrated(empty_database_url)


def test_the_daily_notice_job_at_the_command_line_raises_each_notice_once(
    fresh_url: str,
    access_world_factory: Callable[[Session], AccessWorld],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with committed(fresh_url) as session:
        world = access_world_factory(session)
        iso = world.organisation(OrganisationKind.ISO)
        _sc, [scid] = world.scheduling_coordinator()
        unit = make_resource(session, "NOTICE")
        assign(session, unit, scid)
        specialist = world.principal(world.person(iso, Role.CERTIFICATION_SPECIALIST))
        for kind in (METER, TELEMETRY):
            record_certification(
                session, specialist, unit.resource_id, kind, date(2019, 1, 1), date(2020, 6, 20)
            )
        resource_id = unit.resource_id

    monkeypatch.setenv("GRIDMARKET_DATABASE_URL", fresh_url)
    get_settings.cache_clear()
    try:
        first = CliRunner().invoke(cli, ["certifications", "notices", "--date", "2020-06-10"])
        second = CliRunner().invoke(cli, ["certifications", "notices", "--date", "2020-06-10"])
    finally:
        get_settings.cache_clear()
    assert first.exit_code == 0, first.output
    assert f"{resource_id}: telemetry certification expires on 2020-06-20" in first.output
    assert "0 notice(s) raised for 2020-06-10" in second.output
