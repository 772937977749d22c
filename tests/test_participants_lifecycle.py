"""An applicant walks from application to certified SC; the state machine refuses shortcuts."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.people import make_organisation, make_person

from gridmarket.access.errors import AccessDenied
from gridmarket.access.models import OrganisationKind, Role, ScidGrant
from gridmarket.access.principal import Principal, load_principal
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters
from gridmarket.errors import Conflict, InvalidInput
from gridmarket.participants import applications, certification, checklist, exam
from gridmarket.participants.documents import store_document
from gridmarket.participants.lifecycle import (
    ALLOWED_TRANSITIONS,
    IllegalTransition,
    history,
    transition,
)
from gridmarket.participants.models import (
    AgreementKind,
    ChecklistItemStatus,
    SchedulingCoordinator,
    ScStatus,
)

PARAMS = MarketParameters()
PDF = b"%PDF-1.4\n% evidence\n"


def form(**changes: object) -> applications.ApplicationForm:
    fields: dict[str, object] = {
        "legal_name": "Pinyon Energy Marketing LLC",
        "scid_choices": ["PNYN", "PNY2", "PEMX"],
        "street_address": "1 Market St",
        "city": "Folsom",
        "region": "CA",
        "postal_code": "95630",
        "country": "US",
        "state_of_incorporation": "Delaware",
        "proposed_start_date": date(2020, 9, 1),
        "entity_type": "POWER_MARKETER",
        "uses_scheduling_agent": False,
        "represents_generators": True,
        "has_sc_metered_entities": False,
    }
    fields.update(changes)
    return applications.ApplicationForm.model_validate(fields)


@pytest.fixture
def cast(db_session: Session) -> dict[str, Principal]:
    iso = make_organisation(db_session, OrganisationKind.ISO)
    applicant = make_organisation(db_session, OrganisationKind.APPLICANT, "Pinyon Energy")
    return {
        "specialist": make_person(db_session, iso, Role.CERTIFICATION_SPECIALIST),
        "credit": make_person(db_session, iso, Role.CREDIT_ANALYST),
        "uaa": make_person(db_session, applicant, Role.USER_ACCESS_ADMINISTRATOR),
        "trader": make_person(db_session, applicant, Role.TRADER),
    }


def evidence(session: Session, who: Principal, name: str) -> list:
    return [
        store_document(
            session,
            filename=name,
            content=PDF,
            declared_type="application/pdf",
            organisation_id=who.organisation_id,
            uploaded_by_id=who.person_id,
            at=datetime(2020, 7, 1, tzinfo=UTC),
            rules=PARAMS.access,
        )
    ]


def test_applicant_becomes_a_certified_sc_with_every_checklist_item(
    db_session: Session, cast: dict[str, Principal]
) -> None:
    clock = FixedClock(datetime(2020, 7, 1, 16, tzinfo=UTC))  # Wednesday 09:00 PDT
    uaa, specialist = cast["uaa"], cast["specialist"]
    application = applications.submit_application(db_session, uaa, form(), PARAMS, clock)
    # 10 business days after Wed 1 July, skipping Fri 3 July (Independence Day observed).
    assert application.completeness_due_on == date(2020, 7, 16)

    applications.record_fee(
        db_session, specialist, application.id, Decimal("5000"), "WIRE-1", PARAMS, clock
    )
    applications.start_review(db_session, specialist, application.id, clock)
    applications.mark_incomplete(db_session, specialist, application.id, "no address proof", clock)
    applications.amend_application(
        db_session, uaa, application.id, form(city="Sacramento"), PARAMS, clock
    )
    applications.accept_application(db_session, specialist, application.id, clock)
    applications.begin_certification(
        db_session, specialist, application.id, specialist.person_id, clock
    )
    assert {item.code for item in application.checklist} >= {"NETWORK_CONNECTIVITY", "EFT_TEST"}
    msa = checklist.checklist_item(db_session, application, "METER_SERVICE_AGREEMENT")
    assert msa.status == ChecklistItemStatus.NOT_APPLICABLE

    for code in (
        "FINANCIAL_SECURITY",
        "OFFICER_CERTIFICATION",
        "POINT_OF_CONTACT",
        "EMERGENCY_PLAN",
    ):
        checklist.submit_evidence(
            db_session, uaa, application, code, evidence(db_session, uaa, f"{code}.pdf"), "", clock
        )
        checklist.review_item(db_session, specialist, application, code, True, "fine", clock)
    for code in ("TRAINING", "EFT_TEST", "REAL_TIME_CONTACT_TEST"):
        checklist.review_item(db_session, specialist, application, code, True, "done", clock)
    checklist.record_agreement(
        db_session,
        specialist,
        application,
        AgreementKind.SC_AGREEMENT,
        date(2020, 7, 1),
        evidence(db_session, specialist, "sca.pdf")[0],
        clock,
    )
    certification.record_connectivity_test(db_session, uaa, application.id, True, clock)

    attempt, questions = exam.start_attempt(
        db_session, uaa, application.id, PARAMS, clock, random.Random(1)
    )
    bank = {q.id: q for q in exam.question_bank(PARAMS)}
    exam.submit_answers(
        db_session, uaa, attempt.id, {q.id: bank[q.id].answer for q in questions}, PARAMS, clock
    )
    assert attempt.passed and attempt.score_percent == 100

    scid = certification.certify(db_session, specialist, application.id, PARAMS, clock)
    assert scid.code == "PNYN"
    coordinator = application.scheduling_coordinator
    assert coordinator.status == ScStatus.CERTIFIED
    assert [step.to_status for step in history(db_session, coordinator)] == [
        ScStatus.APPLIED,
        ScStatus.UNDER_REVIEW,
        ScStatus.INCOMPLETE,
        ScStatus.UNDER_REVIEW,
        ScStatus.ACCEPTED,
        ScStatus.IN_CERTIFICATION,
        ScStatus.CERTIFIED,
    ]
    assert all(step.at is not None for step in history(db_session, coordinator))
    # The UAA now holds the SCID and can grant it to the organisation's people.
    assert load_principal(db_session, uaa.person_id).can_act_for("PNYN")
    assert (
        db_session.scalar(select(ScidGrant).where(ScidGrant.person_id == cast["trader"].person_id))
        is None
    )


def test_certification_is_refused_naming_every_open_item(
    db_session: Session, cast: dict[str, Principal]
) -> None:
    clock = FixedClock(datetime(2020, 7, 1, 16, tzinfo=UTC))
    application = _in_certification(db_session, cast, clock)
    with pytest.raises(Conflict, match=r"NETWORK_CONNECTIVITY \(OPEN\).*MARKET_PROFICIENCY_EXAM"):
        certification.certify(db_session, cast["specialist"], application.id, PARAMS, clock)


def _in_certification(session: Session, cast: dict[str, Principal], clock: FixedClock):  # type: ignore[no-untyped-def]
    specialist = cast["specialist"]
    application = applications.submit_application(session, cast["uaa"], form(), PARAMS, clock)
    applications.record_fee(
        session, specialist, application.id, Decimal("5000"), "W", PARAMS, clock
    )
    applications.start_review(session, specialist, application.id, clock)
    applications.accept_application(session, specialist, application.id, clock)
    applications.begin_certification(
        session, specialist, application.id, specialist.person_id, clock
    )
    return application


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        (["PNY", "PNY2", "PEMX"], "exactly 4"),
        (["1PNY", "PNY2", "PEMX"], "the first a letter"),
        (["pnyn", "PNY2", "PEMX"], "upper-case"),
        (["PNYN", "PNYN", "PEMX"], "chosen twice"),
    ],
)
def test_bad_scid_choices_are_refused_and_nothing_is_stored(
    db_session: Session, cast: dict[str, Principal], choices: list[str], message: str
) -> None:
    clock = FixedClock(datetime(2020, 7, 1, 16, tzinfo=UTC))
    with pytest.raises(InvalidInput, match=message) as refused:
        applications.submit_application(
            db_session, cast["uaa"], form(scid_choices=choices), PARAMS, clock
        )
    assert refused.value.field is not None and refused.value.field.startswith("scid_choices[")
    applicant_sc = select(SchedulingCoordinator).where(
        SchedulingCoordinator.organisation_id == cast["uaa"].organisation_id
    )
    assert db_session.scalar(applicant_sc) is None


def test_an_scid_in_use_cannot_be_chosen(db_session: Session, cast: dict[str, Principal]) -> None:
    clock = FixedClock(datetime(2020, 7, 1, 16, tzinfo=UTC))
    application = _in_certification(db_session, cast, clock)
    other = make_organisation(db_session, OrganisationKind.APPLICANT)
    other_uaa = make_person(db_session, other, Role.USER_ACCESS_ADMINISTRATOR)
    # Choices are checked against granted SCIDs, so grant PNYN first.
    from gridmarket.participants.models import Scid

    db_session.add(
        Scid(
            code="PNYN",
            scheduling_coordinator_id=application.scheduling_coordinator_id,
            granted_on=date(2020, 7, 1),
        )
    )
    db_session.flush()
    with pytest.raises(InvalidInput, match="already in use"):
        applications.submit_application(db_session, other_uaa, form(), PARAMS, clock)


def test_wrong_fee_amount_is_refused(db_session: Session, cast: dict[str, Principal]) -> None:
    clock = FixedClock(datetime(2020, 7, 1, 16, tzinfo=UTC))
    application = applications.submit_application(db_session, cast["uaa"], form(), PARAMS, clock)
    with pytest.raises(InvalidInput, match=r"\$5,000.00"):
        applications.record_fee(
            db_session, cast["specialist"], application.id, Decimal("500"), "W", PARAMS, clock
        )


def test_application_cannot_be_accepted_before_the_fee(
    db_session: Session, cast: dict[str, Principal]
) -> None:
    clock = FixedClock(datetime(2020, 7, 1, 16, tzinfo=UTC))
    application = applications.submit_application(db_session, cast["uaa"], form(), PARAMS, clock)
    applications.start_review(db_session, cast["specialist"], application.id, clock)
    with pytest.raises(Conflict, match="fee"):
        applications.accept_application(db_session, cast["specialist"], application.id, clock)


def test_a_trader_cannot_review_applications(
    db_session: Session, cast: dict[str, Principal]
) -> None:
    clock = FixedClock(datetime(2020, 7, 1, 16, tzinfo=UTC))
    application = applications.submit_application(db_session, cast["uaa"], form(), PARAMS, clock)
    with pytest.raises(AccessDenied):
        applications.start_review(db_session, cast["trader"], application.id, clock)


@pytest.mark.parametrize("current", list(ScStatus))
def test_every_illegal_transition_is_refused_with_a_clear_error(
    db_session: Session, cast: dict[str, Principal], current: ScStatus
) -> None:
    organisation = make_organisation(db_session, OrganisationKind.APPLICANT)
    coordinator = SchedulingCoordinator(
        organisation_id=organisation.id, legal_name="X", status=current
    )
    db_session.add(coordinator)
    db_session.flush()
    for target in ScStatus:
        if target in ALLOWED_TRANSITIONS[current]:
            continue
        with pytest.raises(
            IllegalTransition, match=f"cannot go from {current.value} to {target.value}"
        ):
            transition(
                db_session, coordinator, target, actor_id=None, at=datetime(2020, 1, 1, tzinfo=UTC)
            )
        assert coordinator.status == current
    assert history(db_session, coordinator) == []


def test_automatic_items_cannot_be_ticked_by_hand(
    db_session: Session, cast: dict[str, Principal]
) -> None:
    clock = FixedClock(datetime(2020, 7, 1, 16, tzinfo=UTC))
    application = _in_certification(db_session, cast, clock)
    for code in ("NETWORK_CONNECTIVITY", "MARKET_PROFICIENCY_EXAM", "APPLICATION_ACCESS"):
        with pytest.raises(Conflict, match="cannot be set by hand"):
            checklist.review_item(
                db_session, cast["specialist"], application, code, True, "", clock
            )


def test_connectivity_needs_the_applicants_api_token(
    db_session: Session, cast: dict[str, Principal]
) -> None:
    clock = FixedClock(datetime(2020, 7, 1, 16, tzinfo=UTC))
    application = _in_certification(db_session, cast, clock)
    with pytest.raises(Conflict, match="API token"):
        certification.record_connectivity_test(
            db_session, cast["uaa"], application.id, False, clock
        )
    certification.record_connectivity_test(db_session, cast["uaa"], application.id, True, clock)
    item = checklist.checklist_item(db_session, application, "NETWORK_CONNECTIVITY")
    assert item.status == ChecklistItemStatus.ACCEPTED and cast["uaa"].email in item.note


def test_exam_fail_wait_and_attempt_limit(db_session: Session, cast: dict[str, Principal]) -> None:
    clock = FixedClock(datetime(2020, 7, 1, 16, tzinfo=UTC))
    application = _in_certification(db_session, cast, clock)
    uaa = cast["uaa"]
    for attempt_number in range(PARAMS.participants.exam_max_attempts):
        attempt, questions = exam.start_attempt(
            db_session, uaa, application.id, PARAMS, clock, random.Random(attempt_number)
        )
        wrong = {q.id: (q.answer + 1) % len(q.options) for q in questions}
        exam.submit_answers(db_session, uaa, attempt.id, wrong, PARAMS, clock)
        assert attempt.score_percent == 0 and attempt.passed is False
        if attempt_number < PARAMS.participants.exam_max_attempts - 1:
            with pytest.raises(Conflict, match="next attempt may start"):
                exam.start_attempt(db_session, uaa, application.id, PARAMS, clock)
        clock.advance(timedelta(days=PARAMS.participants.exam_retake_wait_days))
    with pytest.raises(Conflict, match="attempts are used"):
        exam.start_attempt(db_session, uaa, application.id, PARAMS, clock)


def test_an_exam_submitted_after_the_time_limit_scores_zero(
    db_session: Session, cast: dict[str, Principal]
) -> None:
    clock = FixedClock(datetime(2020, 7, 1, 16, tzinfo=UTC))
    application = _in_certification(db_session, cast, clock)
    attempt, questions = exam.start_attempt(db_session, cast["uaa"], application.id, PARAMS, clock)
    clock.advance(timedelta(minutes=PARAMS.participants.exam_time_limit_minutes, seconds=1))
    exam.submit_answers(
        db_session, cast["uaa"], attempt.id, {q.id: q.answer for q in questions}, PARAMS, clock
    )
    assert attempt.score_percent == 0 and not attempt.passed


def test_exam_questions_follow_the_parameters_in_force() -> None:
    changed = MarketParameters.model_validate({"bids": {"hard_cap_usd_per_mwh": "3000"}})
    hard_cap = next(q for q in exam.question_bank(changed) if q.id == "hard_cap")
    assert hard_cap.options[hard_cap.answer] == "$3,000/MWh"
