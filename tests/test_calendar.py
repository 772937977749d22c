"""The market calendar: trade days, DST days, business days, deadlines (rulebook §1-§4, §6, §8, §9).

Expected dates are worked out by hand against the US federal holiday list;
the comments show the count where it is not obvious.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridmarket.calendar import (
    Deadline,
    MarketCalendar,
    ScheduledStatement,
    default_calendar,
)
from gridmarket.clock import FixedClock
from gridmarket.config import (
    DeadlineRules,
    MarketParameters,
    ParticipantRules,
    SettlementRules,
    TimeRules,
)

CAL = MarketCalendar()
PACIFIC = ZoneInfo("America/Los_Angeles")

NORMAL_DAY = date(2020, 6, 1)  # a Monday
SPRING_FORWARD = date(2020, 3, 8)
FALL_BACK = date(2020, 11, 1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def with_params(**groups: object) -> MarketCalendar:
    return MarketCalendar(MarketParameters(**groups))


# --- trade days and intervals (§1) ------------------------------------------


def test_normal_day_has_24_hours_96_fmm_and_288_rtd_intervals() -> None:
    assert CAL.hours_in_day(NORMAL_DAY) == 24
    assert len(CAL.intervals(NORMAL_DAY, "DAM")) == 24
    assert len(CAL.intervals(NORMAL_DAY, "FMM")) == 96
    assert len(CAL.intervals(NORMAL_DAY, "RTD")) == 288


def test_spring_dst_day_2020_03_08_has_23_hours_and_276_rtd_intervals() -> None:
    assert CAL.hours_in_day(SPRING_FORWARD) == 23
    assert len(CAL.intervals(SPRING_FORWARD, 60)) == 23
    assert len(CAL.intervals(SPRING_FORWARD, 15)) == 92
    assert len(CAL.intervals(SPRING_FORWARD, 5)) == 276


def test_fall_dst_day_2020_11_01_has_25_hours_300_rtd_intervals_and_an_he25() -> None:
    assert CAL.hours_in_day(FALL_BACK) == 25
    assert len(CAL.intervals(FALL_BACK, "FMM")) == 100
    assert len(CAL.intervals(FALL_BACK, "RTD")) == 300
    hours = CAL.intervals(FALL_BACK, "DAM")
    assert [hour.hour_ending for hour in hours] == list(range(1, 26))
    assert hours[-1].label == "HE25"
    assert hours[-1].start_pt == datetime(2020, 11, 1, 23, 0, tzinfo=PACIFIC)
    assert hours[-1].end_utc == utc(2020, 11, 2, 8)


def test_repeated_fall_back_hour_is_two_hours_ending_at_two_utc_instants() -> None:
    he2, he3 = CAL.intervals(FALL_BACK, "DAM")[1:3]
    # Both start at 01:00 on the wall clock: first in PDT (UTC-7), then in PST (UTC-8).
    assert (he2.start_pt.hour, he3.start_pt.hour) == (1, 1)
    assert he2.start_pt.utcoffset() == timedelta(hours=-7)
    assert he3.start_pt.utcoffset() == timedelta(hours=-8)
    assert (he2.start_utc, he3.start_utc) == (utc(2020, 11, 1, 8), utc(2020, 11, 1, 9))
    assert CAL.hour_ending_of(utc(2020, 11, 1, 8, 30)) == (FALL_BACK, 2)
    assert CAL.hour_ending_of(utc(2020, 11, 1, 9, 30)) == (FALL_BACK, 3)


def test_spring_day_goes_from_he2_ending_at_0300_pdt_straight_on() -> None:
    he2, he3 = CAL.intervals(SPRING_FORWARD, "DAM")[1:3]
    # 02:00 PST does not exist: the hour after 01:00-02:00 PST is 03:00-04:00 PDT.
    assert he2.end_utc == he3.start_utc == utc(2020, 3, 8, 10)
    assert he3.start_pt == datetime(2020, 3, 8, 3, 0, tzinfo=PACIFIC)
    assert CAL.intervals(SPRING_FORWARD, "DAM")[-1].label == "HE23"


def test_trade_day_runs_from_midnight_to_midnight_pacific() -> None:
    assert CAL.trade_day_start_utc(date(2020, 1, 15)) == utc(2020, 1, 15, 8)  # PST
    assert CAL.trade_day_start_utc(NORMAL_DAY) == utc(2020, 6, 1, 7)  # PDT
    assert CAL.trade_day_end_utc(SPRING_FORWARD) == utc(2020, 3, 9, 7)
    assert CAL.trade_day_end_utc(FALL_BACK) == utc(2020, 11, 2, 8)


@pytest.mark.parametrize("trade_date", [NORMAL_DAY, SPRING_FORWARD, FALL_BACK])
@pytest.mark.parametrize("market", ["DAM", "FMM", "RTD"])
def test_intervals_are_contiguous_and_cover_exactly_the_trade_day_in_utc(
    trade_date: date, market: str
) -> None:
    intervals = CAL.intervals(trade_date, market)  # type: ignore[arg-type]
    assert intervals[0].start_utc == CAL.trade_day_start_utc(trade_date)
    assert intervals[-1].end_utc == CAL.trade_day_end_utc(trade_date)
    for earlier, later in pairwise(intervals):
        assert earlier.end_utc == later.start_utc
    assert [interval.index for interval in intervals] == list(range(len(intervals)))
    assert {interval.market for interval in intervals} == {market}
    assert all(interval.start_utc.tzinfo is UTC for interval in intervals)


def test_interval_labels_give_hour_ending_and_position_within_the_hour() -> None:
    rtd = CAL.intervals(NORMAL_DAY, "RTD")
    assert [rtd[0].label, rtd[11].label, rtd[12].label, rtd[-1].label] == [
        "HE01-01",
        "HE01-12",
        "HE02-01",
        "HE24-12",
    ]
    fmm = CAL.intervals(NORMAL_DAY, "FMM")
    assert (fmm[5].hour_ending, fmm[5].interval_in_hour, fmm[5].label) == (2, 2, "HE02-02")
    assert CAL.intervals(NORMAL_DAY, "DAM")[2].label == "HE03"


def test_interval_includes_its_start_and_excludes_its_end() -> None:
    at_start = CAL.interval_containing(utc(2020, 6, 1, 7, 5), "RTD")
    assert at_start.start_utc == utc(2020, 6, 1, 7, 5)
    assert at_start.label == "HE01-02"
    just_before = CAL.interval_containing(utc(2020, 6, 1, 7, 5) - timedelta(seconds=1), "RTD")
    assert just_before.label == "HE01-01"


def test_instant_just_before_midnight_pacific_belongs_to_the_previous_trade_date() -> None:
    # 06:59 UTC on 2 June is 23:59 PDT on 1 June.
    assert CAL.trade_date_of(utc(2020, 6, 2, 6, 59)) == NORMAL_DAY
    assert CAL.hour_ending_of(utc(2020, 6, 2, 6, 59)) == (NORMAL_DAY, 24)
    assert CAL.hour_ending_of(utc(2020, 6, 2, 7, 0)) == (date(2020, 6, 2), 1)


def test_interval_length_must_be_a_known_market_or_divide_the_hour() -> None:
    assert CAL.interval_minutes(30) == 30
    assert len(CAL.intervals(NORMAL_DAY, 30)) == 48
    assert CAL.intervals(NORMAL_DAY, 30)[0].market is None
    for bad_minutes in (0, -5, 7, 90):
        with pytest.raises(ValueError, match="divide the hour"):
            CAL.interval_minutes(bad_minutes)
    with pytest.raises(ValueError, match="unknown market"):
        CAL.intervals(NORMAL_DAY, "HASP")  # type: ignore[arg-type]


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        CAL.interval_containing(datetime(2020, 6, 1, 12, 0), "RTD")
    with pytest.raises(ValueError, match="naive"):
        CAL.rt_bid_close(datetime(2020, 6, 1, 12, 0))


# --- business days and holidays (§1) ------------------------------------------


def test_weekends_are_not_business_days() -> None:
    assert not CAL.is_business_day(date(2020, 6, 6))  # Saturday
    assert not CAL.is_business_day(date(2020, 6, 7))  # Sunday
    assert CAL.is_business_day(date(2020, 6, 8))
    assert CAL.add_business_days(date(2020, 6, 5), 1) == date(2020, 6, 8)


def test_thanksgiving_is_a_holiday_and_not_a_business_day() -> None:
    assert CAL.is_holiday(date(2020, 11, 26))
    assert not CAL.is_business_day(date(2020, 11, 26))
    assert CAL.add_business_days(date(2020, 11, 25), 1) == date(2020, 11, 27)


def test_july_4_2020_on_a_saturday_is_observed_on_friday_july_3() -> None:
    assert not CAL.is_business_day(date(2020, 7, 3))
    assert CAL.next_business_day_on_or_after(date(2020, 7, 3)) == date(2020, 7, 6)
    assert CAL.add_business_days(date(2020, 7, 2), 1) == date(2020, 7, 6)


def test_business_days_cross_new_year_2020_skipping_the_holiday() -> None:
    assert CAL.is_holiday(date(2020, 1, 1))
    assert CAL.add_business_days(date(2019, 12, 31), 1) == date(2020, 1, 2)
    assert CAL.add_business_days(date(2020, 1, 2), -1) == date(2019, 12, 31)
    assert CAL.business_days_between(date(2019, 12, 31), date(2020, 1, 2)) == 1


def test_business_days_cross_new_year_2021_skipping_holiday_and_weekend() -> None:
    # 1 Jan 2021 is a Friday holiday, then a weekend.
    assert CAL.add_business_days(date(2020, 12, 31), 1) == date(2021, 1, 4)
    assert CAL.add_business_days(date(2021, 1, 4), -1) == date(2020, 12, 31)
    assert CAL.next_business_day_on_or_after(date(2021, 1, 1)) == date(2021, 1, 4)


def test_adding_zero_business_days_returns_the_same_day() -> None:
    assert CAL.add_business_days(date(2020, 6, 6), 0) == date(2020, 6, 6)
    assert CAL.next_business_day_on_or_after(date(2020, 6, 8)) == date(2020, 6, 8)


def test_business_days_between_counts_after_start_up_to_end_and_is_signed() -> None:
    assert CAL.business_days_between(date(2020, 6, 1), date(2020, 6, 1)) == 0
    assert CAL.business_days_between(date(2020, 6, 1), date(2020, 6, 8)) == 5
    assert CAL.business_days_between(date(2020, 6, 8), date(2020, 6, 1)) == -5
    assert CAL.business_days_between(date(2020, 6, 5), date(2020, 6, 7)) == 0  # weekend only


def test_configured_extra_and_removed_holidays_change_business_days() -> None:
    cal = with_params(
        time=TimeRules(extra_holidays=(date(2020, 6, 2),), removed_holidays=(date(2020, 7, 3),))
    )
    assert not cal.is_business_day(date(2020, 6, 2))
    assert cal.is_business_day(date(2020, 7, 3))
    assert cal.add_business_days(date(2020, 6, 1), 1) == date(2020, 6, 3)


def test_configured_business_weekdays_are_used() -> None:
    six_day_week = with_params(time=TimeRules(business_weekdays=(0, 1, 2, 3, 4, 5)))
    assert six_day_week.is_business_day(date(2020, 6, 6))
    assert six_day_week.add_business_days(date(2020, 6, 5), 1) == date(2020, 6, 6)


# --- bid and trade deadlines (§4, §7) -----------------------------------------


def test_dam_bids_close_at_10_pt_on_day_before() -> None:
    assert CAL.dam_close(date(2020, 6, 2)) == utc(2020, 6, 1, 17)  # 10:00 PDT


def test_dam_close_for_day_after_spring_change_is_10_pdt_which_is_17_utc() -> None:
    # T-1 is the spring DST day itself; 10:00 falls after the change, so PDT.
    assert CAL.dam_close(date(2020, 3, 9)) == utc(2020, 3, 8, 17)


def test_dam_close_for_spring_dst_trade_day_is_10_pst_which_is_18_utc() -> None:
    assert CAL.dam_close(SPRING_FORWARD) == utc(2020, 3, 7, 18)


def test_dam_bids_open_7_days_before_at_midnight_pt() -> None:
    assert CAL.dam_open(date(2020, 6, 8)) == utc(2020, 6, 1, 7)
    # Opening is in PST, a week before a PDT trade day.
    assert CAL.dam_open(date(2020, 3, 10)) == utc(2020, 3, 3, 8)


def test_dam_results_are_published_by_13_pt_on_day_before() -> None:
    assert CAL.dam_results(date(2020, 6, 2)) == utc(2020, 6, 1, 20)
    assert CAL.dam_results(date(2020, 1, 2)) == utc(2020, 1, 1, 21)


def test_failed_dam_may_be_rerun_until_13_pt_on_day_before() -> None:
    assert CAL.dam_rerun_deadline(date(2020, 6, 2)) == utc(2020, 6, 1, 20)


def test_day_ahead_inter_sc_trades_close_at_11_pt_on_day_before() -> None:
    assert CAL.ist_dam_close(date(2020, 6, 2)) == utc(2020, 6, 1, 18)
    assert CAL.ist_dam_close(date(2020, 1, 2)) == utc(2020, 1, 1, 19)


def test_rt_bids_close_75_minutes_before_the_hour_across_midnight() -> None:
    he1 = CAL.intervals(date(2020, 6, 2), "DAM")[0]  # starts 00:00 PDT = 07:00 UTC
    close = CAL.rt_bid_close(he1.start_utc)
    assert close == utc(2020, 6, 2, 5, 45)
    assert close.astimezone(PACIFIC) == datetime(2020, 6, 1, 22, 45, tzinfo=PACIFIC)


def test_rt_bid_close_across_spring_change_is_75_elapsed_minutes_not_wall_clock() -> None:
    he3 = CAL.intervals(SPRING_FORWARD, "DAM")[2]  # starts 03:00 PDT = 10:00 UTC
    close = CAL.rt_bid_close(he3.start_utc)
    assert close == utc(2020, 3, 8, 8, 45)
    # On the wall clock that is 00:45 PST, 2 h 15 min before 03:00 PDT.
    assert close.astimezone(PACIFIC) == datetime(2020, 3, 8, 0, 45, tzinfo=PACIFIC)


def test_rt_bid_close_for_the_repeated_fall_hour_is_in_pdt() -> None:
    he3 = CAL.intervals(FALL_BACK, "DAM")[2]  # the second 01:00, in PST
    close = CAL.rt_bid_close(he3.start_utc)
    assert close == utc(2020, 11, 1, 7, 45)
    assert close.astimezone(PACIFIC).utcoffset() == timedelta(hours=-7)  # 00:45 PDT


def test_real_time_inter_sc_trades_close_45_minutes_before_the_hour() -> None:
    assert CAL.ist_rt_close(utc(2020, 6, 1, 19)) == utc(2020, 6, 1, 18, 15)


def test_real_time_deadlines_need_the_start_of_a_market_hour() -> None:
    with pytest.raises(ValueError, match="start of a market hour"):
        CAL.rt_bid_close(utc(2020, 6, 1, 19, 30))
    with pytest.raises(ValueError, match="start of a market hour"):
        CAL.ist_rt_close(utc(2020, 6, 1, 19, 0) + timedelta(seconds=1))


def test_changing_deadline_parameters_changes_the_deadlines() -> None:
    cal = with_params(
        deadlines=DeadlineRules(
            dam_close_time=time(9, 0),
            dam_close_days_before=2,
            dam_open_time=time(6, 0),
            rt_bid_close_minutes_before_hour=90,
        )
    )
    assert cal.dam_close(date(2020, 6, 3)) == utc(2020, 6, 1, 16)
    assert cal.dam_open(date(2020, 6, 8)) == utc(2020, 6, 1, 13)
    assert cal.rt_bid_close(utc(2020, 6, 1, 19)) == utc(2020, 6, 1, 17, 30)


def test_changing_the_market_timezone_moves_the_trade_day() -> None:
    eastern = with_params(time=TimeRules(market_timezone="America/New_York"))
    assert eastern.trade_day_start_utc(NORMAL_DAY) == utc(2020, 6, 1, 4)
    assert eastern.dam_close(date(2020, 6, 2)) == utc(2020, 6, 1, 14)
    # US clocks change on the same Sunday.
    assert eastern.hours_in_day(SPRING_FORWARD) == 23


def test_deadlines_for_a_trade_date_are_time_ordered_with_two_per_hour() -> None:
    deadlines = CAL.deadlines_for(date(2020, 6, 2))
    assert len(deadlines) == 5 + 2 * 24
    instants = [deadline.instant_utc for deadline in deadlines]
    assert instants == sorted(instants)
    names = [deadline.name for deadline in deadlines]
    assert len(set(names)) == len(names)
    assert names[:5] == [
        "dam_open",
        "dam_close",
        "ist_dam_close",
        "dam_results",
        "dam_rerun_deadline",
    ]
    by_name = {deadline.name: deadline for deadline in deadlines}
    assert by_name["dam_close"].instant_utc == utc(2020, 6, 1, 17)
    assert by_name["rt_bid_close_HE01"].instant_utc == utc(2020, 6, 2, 5, 45)
    assert by_name["ist_rt_close_HE24"].hour_ending == 24


def test_deadlines_for_the_fall_day_include_he25() -> None:
    names = {deadline.name for deadline in CAL.deadlines_for(FALL_BACK)}
    assert {"rt_bid_close_HE25", "ist_rt_close_HE25"} <= names


def test_deadline_countdown_follows_the_clock() -> None:
    deadline = Deadline("dam_close", utc(2020, 6, 1, 17))
    clock = FixedClock(utc(2020, 6, 1, 16, 30))
    assert deadline.remaining(clock) == timedelta(minutes=30)
    clock.advance(timedelta(hours=1))
    assert deadline.remaining(clock) == timedelta(minutes=-30)


# --- settlement, metering and participant dates (§2, §3, §6, §8, §9) ------------


def test_statement_schedule_for_1_june_2020_worked_by_hand() -> None:
    # T+9B: 2-5 June (4), 8-12 June (9) -> Fri 12 June.
    # T+70B: rest of June 21, July 22 (3 July observed holiday) -> 43, August 21 -> 64,
    #        1-4 Sept (68), 7 Sept Labor Day, 8-9 Sept (70) -> Wed 9 Sept.
    # T+11M: Sat 1 May 2021 -> Mon 3 May. T+21M: Tue 1 Mar 2022. T+24M: Wed 1 Jun 2022.
    assert CAL.statement_schedule(NORMAL_DAY) == [
        ScheduledStatement("initial", date(2020, 6, 12)),
        ScheduledStatement("recalculation", date(2020, 9, 9)),
        ScheduledStatement("recalculation_11m", date(2021, 5, 3)),
        ScheduledStatement("recalculation_21m", date(2022, 3, 1)),
        ScheduledStatement("recalculation_24m", date(2022, 6, 1)),
    ]


def test_monthly_statement_uses_month_end_when_the_day_is_missing_then_next_business_day() -> None:
    # 31 Mar 2019 + 11 months = 31 Feb 2020 -> 29 Feb 2020 (a Saturday) -> Mon 2 Mar 2020.
    schedule = dict(CAL.statement_schedule(date(2019, 3, 31)))
    assert schedule["recalculation_11m"] == date(2020, 3, 2)


def test_statement_schedule_follows_configured_business_days_and_months() -> None:
    cal = with_params(
        settlement=SettlementRules(
            initial_statement_business_days=3, later_recalculation_months=(6,)
        )
    )
    schedule = cal.statement_schedule(NORMAL_DAY)
    assert [kind for kind, _ in schedule] == ["initial", "recalculation", "recalculation_6m"]
    assert schedule[0].publication_date == date(2020, 6, 4)
    assert schedule[2].publication_date == date(2020, 12, 1)


def test_disputes_are_due_within_22_business_days_of_publication() -> None:
    # From Wed 9 Sept 2020: 10-11 (2), 14-18 (7), 21-25 (12), 28-30 (15),
    # 1-2 Oct (17), 5-9 Oct (22) -> Fri 9 Oct.
    assert CAL.dispute_deadline(date(2020, 9, 9)) == date(2020, 10, 9)
    # Across Veterans Day and Thanksgiving: Mon 2 Nov 2020 -> Fri 4 Dec.
    assert CAL.dispute_deadline(date(2020, 11, 2)) == date(2020, 12, 4)


def test_invoice_payment_is_due_5_business_days_later_rolling_past_thanksgiving() -> None:
    # Mon 23 Nov 2020: 24, 25, (26 Thanksgiving), 27, 30 Nov, 1 Dec.
    assert CAL.invoice_due_date(date(2020, 11, 23)) == date(2020, 12, 1)


def test_invoice_dated_on_a_holiday_counts_from_the_next_business_day() -> None:
    # Labor Day, Mon 7 Sept 2020 -> counted from Tue 8 Sept -> Tue 15 Sept.
    assert CAL.invoice_due_date(date(2020, 9, 7)) == date(2020, 9, 15)


def test_invoices_are_weekly_on_the_invoice_weekday_or_the_next_business_day() -> None:
    assert CAL.next_invoice_date(NORMAL_DAY) == NORMAL_DAY  # a Monday
    assert CAL.next_invoice_date(date(2020, 6, 3)) == date(2020, 6, 8)
    # Mon 7 Sept is Labor Day: that week's invoice goes out Tue 8 Sept.
    assert CAL.next_invoice_date(date(2020, 9, 2)) == date(2020, 9, 8)
    assert CAL.next_invoice_date(date(2020, 9, 8)) == date(2020, 9, 8)
    assert CAL.next_invoice_date(date(2020, 9, 9)) == date(2020, 9, 14)
    fridays = with_params(settlement=SettlementRules(invoice_weekday=4))
    assert fridays.next_invoice_date(NORMAL_DAY) == date(2020, 6, 5)


def test_meter_data_is_due_at_t_plus_5_and_t_plus_52_business_days() -> None:
    assert CAL.sqmd_initial_deadline(NORMAL_DAY) == date(2020, 6, 8)
    # June 21, July 22 -> 43, 3-7 Aug (48), 10-13 Aug (52).
    assert CAL.sqmd_final_deadline(NORMAL_DAY) == date(2020, 8, 13)


def test_application_completeness_is_reviewed_within_10_business_days() -> None:
    assert CAL.completeness_review_due(NORMAL_DAY) == date(2020, 6, 15)


def test_collateral_call_is_due_within_2_business_days_across_christmas() -> None:
    # Thu 24 Dec 2020: (25 Christmas, weekend), Mon 28, Tue 29.
    assert CAL.collateral_call_due(date(2020, 12, 24)) == date(2020, 12, 29)


def test_material_change_is_reported_within_5_business_days() -> None:
    assert CAL.material_change_report_due(date(2020, 7, 1)) == date(2020, 7, 9)  # 3 July off


def test_account_change_takes_effect_at_least_11_business_days_after_filing() -> None:
    effective = CAL.earliest_account_change_effective(NORMAL_DAY)
    assert effective == date(2020, 6, 16)
    assert CAL.business_days_between(NORMAL_DAY, effective) == 11
    assert CAL.business_days_between(NORMAL_DAY, effective - timedelta(days=1)) == 10


def test_officer_certification_is_due_by_30_april_or_the_configured_day() -> None:
    assert CAL.officer_certification_due(2021) == date(2021, 4, 30)
    march = with_params(
        participants=ParticipantRules(
            officer_certification_due_month=3, officer_certification_due_day=31
        )
    )
    assert march.officer_certification_due(2021) == date(2021, 3, 31)


def test_resource_transfer_takes_effect_at_least_11_business_days_after_submission() -> None:
    assert CAL.resource_transfer_earliest_effective(date(2020, 6, 26)) == date(2020, 7, 14)


def test_same_sc_scid_move_takes_effect_10_calendar_days_after_submission() -> None:
    assert CAL.same_sc_scid_move_effective(date(2020, 6, 25)) == date(2020, 7, 5)  # a Sunday


def test_default_calendar_uses_the_process_settings() -> None:
    default_calendar.cache_clear()
    try:
        calendar = default_calendar()
        assert calendar is default_calendar()
        assert calendar.hours_in_day(FALL_BACK) == 25
    finally:
        default_calendar.cache_clear()


# --- properties --------------------------------------------------------------

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@given(day=dates, count=st.integers(min_value=1, max_value=80))
def test_adding_positive_business_days_lands_on_a_business_day(day: date, count: int) -> None:
    later = CAL.add_business_days(day, count)
    assert later > day
    assert CAL.is_business_day(later)
    assert CAL.business_days_between(day, later) == count


@given(day=dates, count=st.integers(min_value=1, max_value=80))
def test_subtracting_business_days_lands_on_a_business_day(day: date, count: int) -> None:
    earlier = CAL.add_business_days(day, -count)
    assert earlier < day
    assert CAL.is_business_day(earlier)


@given(day=dates, minutes=st.sampled_from([5, 15, 60]))
def test_intervals_sum_to_the_length_of_the_trade_day(day: date, minutes: int) -> None:
    intervals = CAL.intervals(day, minutes)
    total = sum((i.end_utc - i.start_utc for i in intervals), timedelta())
    assert total == CAL.trade_day_end_utc(day) - CAL.trade_day_start_utc(day)
    assert len(intervals) * minutes == CAL.hours_in_day(day) * 60
    assert CAL.hours_in_day(day) in (23, 24, 25)


@given(
    instant=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(UTC)
    ),
    minutes=st.sampled_from([5, 15, 60]),
)
def test_the_interval_containing_an_instant_contains_it(instant: datetime, minutes: int) -> None:
    interval = CAL.interval_containing(instant, minutes)
    assert interval.start_utc <= instant < interval.end_utc
    assert CAL.intervals(interval.trade_date, minutes)[interval.index] == interval
