"""Ongoing obligations, the daily job, suspension, reinstatement and termination."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.people import make_organisation, make_person
from tests.test_participants_lifecycle import form

from gridmarket.access.models import OrganisationKind, Role
from gridmarket.access.principal import Principal
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters
from gridmarket.errors import Conflict, InvalidInput
from gridmarket.participants import obligations, standing
from gridmarket.participants.applications import submit_application
from gridmarket.participants.documents import store_document
from gridmarket.participants.models import (
    Notice,
    ScApplication,
    SchedulingCoordinator,
    Scid,
    ScStatus,
)
from gridmarket.resources.models import MeteringType, Resource, ResourceAssignment, ResourceType

PARAMS = MarketParameters()


def pacific_noon(day: date) -> FixedClock:
    return FixedClock(datetime(day.year, day.month, day.day, 19, tzinfo=UTC))


@pytest.fixture
def sc(db_session: Session) -> tuple[SchedulingCoordinator, Principal, Principal]:
    organisation = make_organisation(db_session, OrganisationKind.SC)
    coordinator = SchedulingCoordinator(
        organisation_id=organisation.id,
        legal_name=organisation.name,
        status=ScStatus.CERTIFIED,
        certified_on=date(2019, 6, 3),
    )
    db_session.add(coordinator)
    db_session.flush()
    uaa = make_person(db_session, organisation, Role.USER_ACCESS_ADMINISTRATOR)
    iso = make_organisation(db_session, OrganisationKind.ISO)
    specialist = make_person(db_session, iso, Role.CERTIFICATION_SPECIALIST)
    return coordinator, uaa, specialist


def _notices(session: Session, kind: str) -> int:
    return session.scalar(select(func.count()).select_from(Notice).where(Notice.kind == kind)) or 0


def test_material_change_reported_after_5_business_days_is_late_with_a_notice(
    db_session: Session, sc
) -> None:  # type: ignore[no-untyped-def]
    coordinator, uaa, _ = sc
    # Change on Mon 6 July 2020: due Mon 13 July (5 BD); reported Tue 14 July.
    report = obligations.report_material_change(
        db_session,
        uaa,
        coordinator.id,
        date(2020, 7, 6),
        "new parent company",
        None,
        PARAMS,
        pacific_noon(date(2020, 7, 14)),
    )
    assert report.due_on == date(2020, 7, 13) and report.filed_late
    assert _notices(db_session, "MATERIAL_CHANGE_LATE") == 1


def test_material_change_within_the_window_is_on_time(db_session: Session, sc) -> None:  # type: ignore[no-untyped-def]
    coordinator, uaa, _ = sc
    report = obligations.report_material_change(
        db_session,
        uaa,
        coordinator.id,
        date(2020, 7, 6),
        "new CFO",
        None,
        PARAMS,
        pacific_noon(date(2020, 7, 13)),
    )
    assert not report.filed_late
    assert _notices(db_session, "MATERIAL_CHANGE_LATE") == 0


def test_account_change_needs_11_business_days_notice(db_session: Session, sc) -> None:  # type: ignore[no-untyped-def]
    coordinator, uaa, _ = sc
    filed = pacific_noon(date(2020, 7, 1))  # Wed; 3 July is a holiday
    with pytest.raises(InvalidInput, match="earliest effective date now is 2020-07-17"):
        obligations.request_account_change(
            db_session, uaa, coordinator.id, date(2020, 7, 16), "new bank", PARAMS, filed
        )
    request = obligations.request_account_change(
        db_session, uaa, coordinator.id, date(2020, 7, 17), "new bank", PARAMS, filed
    )
    assert request.reference_date == date(2020, 7, 17)


def test_missing_officer_certification_gets_a_notice_then_suspension_then_cure(
    db_session: Session,
    sc,  # type: ignore[no-untyped-def]
) -> None:
    coordinator, uaa, specialist = sc
    grace = PARAMS.participants.officer_certification_grace_days
    on_due_day = obligations.run_daily_obligations(
        db_session, date(2020, 4, 30), PARAMS, pacific_noon(date(2020, 4, 30))
    )
    assert on_due_day.notices == []
    day_after = date(2020, 5, 1)
    report = obligations.run_daily_obligations(
        db_session, day_after, PARAMS, pacific_noon(day_after)
    )
    assert len(report.notices) == 1 and report.suspended == []
    obligations.run_daily_obligations(db_session, day_after, PARAMS, pacific_noon(day_after))
    assert (
        _notices(db_session, "OFFICER_CERTIFICATION_LATE") == 1
    )  # once, however often the job runs

    last_grace_day = date(2020, 4, 30 + 0).replace(day=30)

    within = last_grace_day + timedelta(days=grace)
    assert (
        obligations.run_daily_obligations(
            db_session, within, PARAMS, pacific_noon(within)
        ).suspended
        == []
    )
    beyond = within + timedelta(days=1)
    report = obligations.run_daily_obligations(db_session, beyond, PARAMS, pacific_noon(beyond))
    assert coordinator.status == ScStatus.SUSPENDED
    assert "officer certification 2020 not filed" in report.suspended[0]
    assert _notices(db_session, "SUSPENSION") == 1

    with pytest.raises(Conflict, match="not cured"):
        standing.reinstate(
            db_session, specialist, coordinator.id, beyond, PARAMS, pacific_noon(beyond)
        )
    document = store_document(
        db_session,
        filename="officer-cert-2020.pdf",
        content=b"%PDF-1.4 x",
        declared_type="application/pdf",
        organisation_id=uaa.organisation_id,
        uploaded_by_id=uaa.person_id,
        at=pacific_noon(beyond).now(),
        rules=PARAMS.access,
    )
    filing = obligations.file_officer_certification(
        db_session, uaa, coordinator.id, 2020, document, PARAMS, pacific_noon(beyond)
    )
    assert filing.filed_late
    standing.reinstate(db_session, specialist, coordinator.id, beyond, PARAMS, pacific_noon(beyond))
    assert coordinator.status == ScStatus.CERTIFIED


def test_an_sc_certified_after_30_april_owes_its_first_certification_next_year(
    db_session: Session, sc
) -> None:  # type: ignore[no-untyped-def]
    coordinator, _, _ = sc
    coordinator.certified_on = date(2020, 6, 1)
    day = date(2020, 7, 1)
    report = obligations.run_daily_obligations(db_session, day, PARAMS, pacific_noon(day))
    assert report.notices == [] and coordinator.status == ScStatus.CERTIFIED


def test_an_application_without_activity_for_12_months_lapses(db_session: Session, sc) -> None:  # type: ignore[no-untyped-def]
    organisation = make_organisation(db_session, OrganisationKind.APPLICANT)
    applicant = make_person(db_session, organisation, Role.USER_ACCESS_ADMINISTRATOR)
    application = submit_application(
        db_session, applicant, form(), PARAMS, pacific_noon(date(2019, 7, 1))
    )
    day = date(2020, 6, 30)
    assert (
        obligations.run_daily_obligations(db_session, day, PARAMS, pacific_noon(day)).lapsed == []
    )
    day = date(2020, 7, 1)
    report = obligations.run_daily_obligations(db_session, day, PARAMS, pacific_noon(day))
    assert report.lapsed == [application.legal_name]
    assert (
        db_session.get(ScApplication, application.id).scheduling_coordinator.status
        == ScStatus.LAPSED
    )  # type: ignore[union-attr]


def test_termination_is_refused_while_a_resource_is_assigned(db_session: Session, sc) -> None:  # type: ignore[no-untyped-def]
    coordinator, _, specialist = sc
    scid = Scid(code="TRMN", scheduling_coordinator_id=coordinator.id, granted_on=date(2019, 6, 3))
    resource = Resource(
        resource_id="TEST_UNIT 1",
        name="t",
        resource_type=ResourceType.GENERATOR,
        category="Gas CT",
        fuel="NG",
        p_min_mw=0,
        p_max_mw=5,
        ramp_rate_mw_per_min=1,
        min_up_hours=1,
        min_down_hours=1,
        startup_cost_usd=0,
        min_load_cost_usd_per_hour=0,
        metering_type=MeteringType.ISO_METERED,
        telemetry_required=False,
    )
    db_session.add_all([scid, resource])
    db_session.flush()
    assignment = ResourceAssignment(
        resource_pk=resource.id,
        scid_id=scid.id,
        effective_from_utc=datetime(2019, 6, 3, tzinfo=UTC),
    )
    db_session.add(assignment)
    db_session.flush()
    clock = pacific_noon(date(2020, 7, 1))
    with pytest.raises(Conflict, match="1 resource"):
        standing.terminate(db_session, specialist, coordinator.id, "exit", clock)
    assignment.effective_to_utc = datetime(2020, 7, 1, 7, tzinfo=UTC)
    db_session.flush()
    standing.terminate(db_session, specialist, coordinator.id, "exit", clock)
    assert coordinator.status == ScStatus.TERMINATED
