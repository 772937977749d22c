"""Utilisation warnings, collateral calls due in 2 business days, suspension, cure."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.people import make_organisation, make_person
from tests.test_credit_support import (
    PARAMS,
    CreditWorld,
    cash,
    credit_world,
    letter_of_credit,
    pacific_noon,
    profile,
)

from gridmarket.access.models import OrganisationKind, Role
from gridmarket.calendar import MarketCalendar
from gridmarket.credit.calls import open_call
from gridmarket.credit.daily import CreditDailyReport, run_daily_credit
from gridmarket.credit.models import CollateralCall, CollateralCallStatus
from gridmarket.credit.notices import COLLATERAL_CALL, COLLATERAL_CALL_MET, UTILISATION_WARNING
from gridmarket.credit.reservations import reserve_credit
from gridmarket.errors import Conflict
from gridmarket.participants import obligations, standing
from gridmarket.participants.models import Notice, ScStatus

WED_1_JULY = date(2020, 7, 1)
MON_6_JULY = date(2020, 7, 6)
TUE_7_JULY = date(2020, 7, 7)


@pytest.mark.parametrize(
    ("issued", "due"),
    [
        # Thu 2 Jul is BD 1; Fri 3 Jul is the observed Independence Day; Mon 6 Jul is BD 2.
        (date(2020, 7, 1), date(2020, 7, 6)),
        # Issued on a Saturday: Mon 6 and Tue 7 July.
        (date(2020, 7, 4), date(2020, 7, 7)),
        # Wed before Thanksgiving (Thu 26 Nov): Fri 27, Mon 30 Nov.
        (date(2020, 11, 25), date(2020, 11, 30)),
        # Christmas Eve: Fri 25 Dec is a holiday; Mon 28, Tue 29 Dec.
        (date(2020, 12, 24), date(2020, 12, 29)),
        # An ordinary Monday: Tue, Wed.
        (date(2020, 6, 8), date(2020, 6, 10)),
    ],
)
def test_a_collateral_call_is_due_2_business_days_after_it_is_issued(
    issued: date, due: date
) -> None:
    assert MarketCalendar(PARAMS).collateral_call_due(issued) == due


@pytest.fixture
def world(db_session: Session) -> CreditWorld:
    """UCL $300,000; an LC of $1,000,000 expiring on Wed 1 July; $550,000 of bids on 30 June."""
    w = credit_world(db_session)
    profile(w, on=date(2020, 6, 29))
    letter_of_credit(w, "1000000", expires_on=WED_1_JULY, on=date(2020, 6, 29))
    check = reserve_credit(
        db_session,
        w.scid.code,
        Decimal("550000.00"),
        "VB-1",
        parameters=PARAMS,
        clock=pacific_noon(date(2020, 6, 30)),
    )
    assert check.passed
    return w


def _daily(world: CreditWorld, day: date) -> CreditDailyReport:
    return run_daily_credit(world.session, day, PARAMS, pacific_noon(day))


def _notices(world: CreditWorld, kind: str) -> int:
    return (
        world.session.scalar(
            select(func.count())
            .select_from(Notice)
            .where(Notice.scheduling_coordinator_id == world.coordinator.id, Notice.kind == kind)
        )
        or 0
    )


def _mine(lines: list[str], world: CreditWorld) -> list[str]:
    return [line for line in lines if line.startswith(world.coordinator.legal_name + ":")]


def test_eal_above_acl_issues_a_call_due_in_2_business_days_over_the_holiday(
    world: CreditWorld,
) -> None:
    # On Wed 1 July the LC has expired: ACL = $300,000; EAL = $550,000 → call $250,000.00.
    report = _daily(world, WED_1_JULY)
    assert _mine(report.calls_issued, world) == [
        f"{world.coordinator.legal_name}: $250,000.00 due 2020-07-06"
    ]
    call = open_call(world.session, world.coordinator.id)
    assert call is not None
    assert (call.issued_on, call.due_on) == (WED_1_JULY, MON_6_JULY)
    assert (call.eal_usd, call.acl_usd, call.amount_usd) == (
        Decimal("550000.00"),
        Decimal("300000.00"),
        Decimal("250000.00"),
    )
    assert _notices(world, COLLATERAL_CALL) == 1


def test_an_unmet_call_suspends_the_day_after_it_is_due_and_not_before(
    world: CreditWorld,
) -> None:
    day = WED_1_JULY
    while day <= MON_6_JULY:
        report = _daily(world, day)
        assert _mine(report.suspended, world) == [], day
        day += timedelta(days=1)
    assert world.coordinator.status == ScStatus.CERTIFIED
    report = _daily(world, TUE_7_JULY)
    assert _mine(report.suspended, world) == [
        f"{world.coordinator.legal_name}: collateral call of $250,000.00 issued 2020-07-01 "
        "not met by 2020-07-06"
    ]
    assert world.coordinator.status == ScStatus.SUSPENDED
    call = world.session.scalars(
        select(CollateralCall).where(
            CollateralCall.scheduling_coordinator_id == world.coordinator.id
        )
    ).one()
    assert call.suspended_at is not None
    # The trigger is registered with participants.standing, so every suspension path sees it.
    reasons = standing.suspension_reasons(world.session, world.coordinator, TUE_7_JULY, PARAMS)
    assert any("collateral call" in reason for reason in reasons)


def test_the_daily_job_is_idempotent(world: CreditWorld) -> None:
    _daily(world, WED_1_JULY)
    _daily(world, TUE_7_JULY)
    notices_before = world.session.scalar(select(func.count()).select_from(Notice))
    calls_before = world.session.scalar(select(func.count()).select_from(CollateralCall))
    again = _daily(world, TUE_7_JULY)
    assert _mine(again.suspended, world) == [] and _mine(again.calls_issued, world) == []
    assert world.session.scalar(select(func.count()).select_from(Notice)) == notices_before
    assert world.session.scalar(select(func.count()).select_from(CollateralCall)) == calls_before
    assert world.coordinator.status == ScStatus.SUSPENDED


def test_posting_enough_security_cures_the_call_and_allows_reinstatement(
    world: CreditWorld,
) -> None:
    _daily(world, WED_1_JULY)
    _daily(world, TUE_7_JULY)
    specialist = make_person(
        world.session,
        make_organisation(world.session, OrganisationKind.ISO),
        Role.CERTIFICATION_SPECIALIST,
    )
    clock = pacific_noon(TUE_7_JULY)
    with pytest.raises(Conflict, match=r"not cured: collateral call of \$250,000\.00"):
        standing.reinstate(
            world.session, specialist, world.coordinator.id, TUE_7_JULY, PARAMS, clock
        )
    # $249,999.99 is a cent short: the call stays open.
    cash(world, "249999.99", on=TUE_7_JULY)
    call = open_call(world.session, world.coordinator.id)
    assert call is not None
    # One more cent: ACL $550,000.00 = EAL $550,000.00 → met (EAL no longer above ACL).
    cash(world, "0.01", on=TUE_7_JULY)
    assert open_call(world.session, world.coordinator.id) is None
    assert call.status == CollateralCallStatus.MET and call.met_on == TUE_7_JULY
    assert _notices(world, COLLATERAL_CALL_MET) == 1
    standing.reinstate(world.session, specialist, world.coordinator.id, TUE_7_JULY, PARAMS, clock)
    assert world.coordinator.status == ScStatus.CERTIFIED


def test_security_posted_before_the_due_date_avoids_suspension(world: CreditWorld) -> None:
    _daily(world, WED_1_JULY)
    cash(world, "300000", on=date(2020, 7, 2))
    for day in (MON_6_JULY, TUE_7_JULY):
        assert _mine(_daily(world, day).suspended, world) == []
    assert world.coordinator.status == ScStatus.CERTIFIED


def test_utilisation_of_90_percent_raises_a_warning_once_a_day(db_session: Session) -> None:
    world = credit_world(db_session)
    profile(world, rating=None)
    cash(world, "1000000")  # ACL $1,000,000
    reserve_credit(
        db_session,
        world.scid.code,
        Decimal("899999.99"),
        "VB-1",
        parameters=PARAMS,
        clock=pacific_noon(date(2020, 6, 30)),
    )
    assert _mine(_daily(world, WED_1_JULY).warnings, world) == []  # 89.999999%
    reserve_credit(
        db_session,
        world.scid.code,
        Decimal("0.01"),
        "VB-2",
        parameters=PARAMS,
        clock=pacific_noon(date(2020, 6, 30)),
    )  # exactly 90%, on 30 June: warned then
    assert _notices(world, UTILISATION_WARNING) == 1
    assert _mine(_daily(world, WED_1_JULY).warnings, world) == [
        f"{world.coordinator.legal_name}: EAL $900,000.00 of ACL $1,000,000.00"
    ]
    _daily(world, WED_1_JULY)
    assert _notices(world, UTILISATION_WARNING) == 2  # 30 June and 1 July, once each
    assert open_call(db_session, world.coordinator.id) is None


def test_eal_equal_to_acl_is_not_a_call(db_session: Session) -> None:
    world = credit_world(db_session)
    profile(world, rating=None)
    cash(world, "1000")
    reserve_credit(
        db_session,
        world.scid.code,
        Decimal("1000.00"),
        "VB-1",
        parameters=PARAMS,
        clock=pacific_noon(WED_1_JULY),
    )
    _daily(world, WED_1_JULY)
    assert open_call(db_session, world.coordinator.id) is None


def test_the_participants_daily_job_also_suspends_on_an_unmet_call(world: CreditWorld) -> None:
    _daily(world, WED_1_JULY)
    report = obligations.run_daily_obligations(
        world.session, TUE_7_JULY, PARAMS, pacific_noon(TUE_7_JULY)
    )
    mine = _mine(report.suspended, world)
    assert len(mine) == 1 and "collateral call of $250,000.00" in mine[0]
    assert world.coordinator.status == ScStatus.SUSPENDED
