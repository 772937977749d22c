"""The market calendar: trade days, intervals, business days and deadlines.

Rulebook §1 (time), §2-§4 (lead times and bid timelines), §6 (collateral
calls), §8 (statements, invoices, disputes) and §9 (meter data deadlines).

Instants are timezone-aware UTC everywhere inside the platform. Market time
(Pacific, ``params.time.market_timezone``) appears only at the edges: a rule
written in wall-clock time ("10:00 PT on T-1") is converted to UTC here, and
:attr:`MarketInterval.start_pt` is for display. Every number comes from
:class:`~gridmarket.config.MarketParameters`; see ``docs/calendar.md``.

Example::

    >>> from datetime import date
    >>> cal = MarketCalendar()
    >>> cal.hours_in_day(date(2020, 11, 1))
    25
    >>> cal.dam_close(date(2020, 3, 9)).isoformat()
    '2020-03-08T17:00:00+00:00'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

import holidays

from gridmarket.clock import Clock, as_utc
from gridmarket.config import MarketParameters, get_settings

MarketName = Literal["DAM", "FMM", "RTD"]

MINUTES_PER_HOUR = 60
MONTHS_PER_YEAR = 12
ONE_DAY = timedelta(days=1)
ONE_WEEK = timedelta(days=7)

INITIAL_STATEMENT = "initial"
RECALCULATION_STATEMENT = "recalculation"


@dataclass(frozen=True)
class MarketInterval:
    """One interval of a trade day.

    ``hour_ending`` counts the hours of the trade day from 1, so the long
    (fall) day runs HE1..HE25 and the short (spring) day HE1..HE23; the
    repeated 01:00 hour of the fall day is HE2 (PDT) then HE3 (PST).
    ``label`` is ``"HE03"`` for an hourly interval and ``"HE03-07"`` (hour
    ending 3, 7th interval of that hour) for a sub-hourly one.

    Example::

        >>> from datetime import date
        >>> first = MarketCalendar().intervals(date(2020, 6, 1), "RTD")[0]
        >>> first.label, first.start_pt.isoformat()
        ('HE01-01', '2020-06-01T00:00:00-07:00')
    """

    trade_date: date
    market: MarketName | None
    """The market with this interval length, or None for another length."""
    minutes: int
    index: int
    """Position in the trade day, from 0."""
    start_utc: datetime
    end_utc: datetime
    hour_ending: int
    interval_in_hour: int
    """Position within the hour ending, from 1."""
    label: str
    timezone: ZoneInfo = field(repr=False)

    @property
    def start_pt(self) -> datetime:
        """The start in market time, for display."""
        return self.start_utc.astimezone(self.timezone)

    @property
    def end_pt(self) -> datetime:
        """The end in market time, for display."""
        return self.end_utc.astimezone(self.timezone)


class ScheduledStatement(NamedTuple):
    """A settlement statement due for a trade date, and the day it is published."""

    kind: str
    publication_date: date


@dataclass(frozen=True)
class Deadline:
    """A named deadline instant, for countdowns.

    Example::

        >>> from gridmarket.clock import FixedClock
        >>> d = Deadline("dam_close", datetime(2020, 6, 1, 17, tzinfo=UTC))
        >>> d.remaining(FixedClock(datetime(2020, 6, 1, 16, tzinfo=UTC)))
        datetime.timedelta(seconds=3600)
    """

    name: str
    instant_utc: datetime
    hour_ending: int | None = None
    """The hour the deadline belongs to, for the hourly real-time deadlines."""

    def remaining(self, clock: Clock) -> timedelta:
        """Time left until the deadline (negative once it has passed)."""
        return self.instant_utc - clock.now()


class MarketCalendar:
    """Trade days, intervals, business days and deadlines under one set of parameters.

    Example::

        >>> from datetime import date
        >>> cal = MarketCalendar()
        >>> len(cal.intervals(date(2020, 3, 8), "RTD"))
        276
        >>> cal.add_business_days(date(2019, 12, 31), 1)
        datetime.date(2020, 1, 2)
    """

    def __init__(self, params: MarketParameters | None = None) -> None:
        self.params = params if params is not None else MarketParameters()
        time_rules = self.params.time
        self.timezone = ZoneInfo(time_rules.market_timezone)
        # Years are filled in lazily by the `holidays` package on first lookup.
        self._country_holidays = holidays.country_holidays(time_rules.holiday_country)
        self._extra_holidays = frozenset(time_rules.extra_holidays)
        self._removed_holidays = frozenset(time_rules.removed_holidays)
        self._business_weekdays = frozenset(time_rules.business_weekdays)
        self._market_by_minutes: dict[int, MarketName] = {
            time_rules.dam_interval_minutes: "DAM",
            time_rules.fmm_interval_minutes: "FMM",
            time_rules.rtd_interval_minutes: "RTD",
        }

    # --- trade days -------------------------------------------------------

    def trade_day_start_utc(self, trade_date: date) -> datetime:
        """The instant the trade day starts: 00:00 market time, in UTC.

        Example::

            >>> MarketCalendar().trade_day_start_utc(date(2020, 1, 15)).isoformat()
            '2020-01-15T08:00:00+00:00'
        """
        return self._market_time(trade_date, time(0, 0))

    def trade_day_end_utc(self, trade_date: date) -> datetime:
        """The instant the trade day ends (the next day's start), in UTC.

        Example::

            >>> MarketCalendar().trade_day_end_utc(date(2020, 7, 15)).isoformat()
            '2020-07-16T07:00:00+00:00'
        """
        return self.trade_day_start_utc(trade_date + ONE_DAY)

    def hours_in_day(self, trade_date: date) -> int:
        """Hours in the trade day: 24, or 23 / 25 on the daylight-saving days.

        Example::

            >>> MarketCalendar().hours_in_day(date(2020, 3, 8))
            23
        """
        return self._day_length(trade_date) // timedelta(hours=1)

    def trade_date_of(self, instant_utc: datetime) -> date:
        """The trade date an instant falls in (its date in market time).

        Example::

            >>> MarketCalendar().trade_date_of(datetime(2020, 6, 2, 6, 59, tzinfo=UTC))
            datetime.date(2020, 6, 1)
        """
        return as_utc(instant_utc).astimezone(self.timezone).date()

    def hour_ending_of(self, instant_utc: datetime) -> tuple[date, int]:
        """The (trade date, hour ending) an instant falls in.

        Example::

            >>> MarketCalendar().hour_ending_of(datetime(2020, 11, 1, 9, 30, tzinfo=UTC))
            (datetime.date(2020, 11, 1), 3)
        """
        hour = self.interval_containing(instant_utc, MINUTES_PER_HOUR)
        return hour.trade_date, hour.hour_ending

    # --- intervals --------------------------------------------------------

    def interval_minutes(self, market_or_minutes: MarketName | int) -> int:
        """The interval length of a market ("DAM", "FMM", "RTD"), or a length checked as is.

        A length must divide the hour, so that intervals line up with hours.

        Example::

            >>> MarketCalendar().interval_minutes("FMM")
            15
        """
        if isinstance(market_or_minutes, str):
            by_market = {market: minutes for minutes, market in self._market_by_minutes.items()}
            if market_or_minutes not in by_market:
                raise ValueError(f"unknown market {market_or_minutes!r}; expected DAM, FMM or RTD")
            return by_market[market_or_minutes]
        minutes = market_or_minutes
        if minutes <= 0 or MINUTES_PER_HOUR % minutes != 0:
            raise ValueError(f"interval length {minutes} min does not divide the hour")
        return minutes

    def intervals(
        self, trade_date: date, market_or_minutes: MarketName | int
    ) -> list[MarketInterval]:
        """All intervals of a trade day, in order, covering it exactly.

        Hourly gives 23/24/25 intervals, 15-minute 92/96/100, 5-minute 276/288/300.

        Example::

            >>> hours = MarketCalendar().intervals(date(2020, 11, 1), "DAM")
            >>> len(hours), hours[-1].label
            (25, 'HE25')
        """
        minutes = self.interval_minutes(market_or_minutes)
        day_start = self.trade_day_start_utc(trade_date)
        count = self._day_length(trade_date) // timedelta(minutes=minutes)
        return [self._interval(trade_date, day_start, minutes, index) for index in range(count)]

    def interval_containing(
        self, instant_utc: datetime, market_or_minutes: MarketName | int
    ) -> MarketInterval:
        """The interval of the given length that contains an instant (start inclusive).

        Example::

            >>> cal = MarketCalendar()
            >>> cal.interval_containing(datetime(2020, 6, 1, 7, 7, tzinfo=UTC), "RTD").label
            'HE01-02'
        """
        minutes = self.interval_minutes(market_or_minutes)
        instant = as_utc(instant_utc)
        trade_date = self.trade_date_of(instant)
        day_start = self.trade_day_start_utc(trade_date)
        index = (instant - day_start) // timedelta(minutes=minutes)
        return self._interval(trade_date, day_start, minutes, index)

    # --- business days ----------------------------------------------------

    def is_holiday(self, day: date) -> bool:
        """Whether a day is a market holiday (configured country list, plus extras, minus removals).

        Example::

            >>> MarketCalendar().is_holiday(date(2020, 7, 3))  # July 4 observed
            True
        """
        if day in self._extra_holidays:
            return True
        return day in self._country_holidays and day not in self._removed_holidays

    def is_business_day(self, day: date) -> bool:
        """Whether a day is a business day: a business weekday that is not a holiday.

        Example::

            >>> MarketCalendar().is_business_day(date(2020, 11, 26))  # Thanksgiving
            False
        """
        return day.weekday() in self._business_weekdays and not self.is_holiday(day)

    def add_business_days(self, day: date, count: int) -> date:
        """The ``count``-th business day after ``day`` (before it if ``count`` < 0).

        ``day`` itself need not be a business day; ``count`` = 0 returns it unchanged.

        Example::

            >>> MarketCalendar().add_business_days(date(2020, 1, 2), -1)
            datetime.date(2019, 12, 31)
        """
        step = ONE_DAY if count >= 0 else -ONE_DAY
        remaining = abs(count)
        while remaining:
            day += step
            if self.is_business_day(day):
                remaining -= 1
        return day

    def next_business_day_on_or_after(self, day: date) -> date:
        """``day`` if it is a business day, else the next one.

        Example::

            >>> MarketCalendar().next_business_day_on_or_after(date(2020, 7, 3))
            datetime.date(2020, 7, 6)
        """
        while not self.is_business_day(day):
            day += ONE_DAY
        return day

    def business_days_between(self, start: date, end: date) -> int:
        """Business days after ``start`` up to and including ``end`` (negative if end < start).

        For a business day ``end``: ``add_business_days(start, n) == end``.

        Example::

            >>> MarketCalendar().business_days_between(date(2019, 12, 31), date(2020, 1, 3))
            2
        """
        if end < start:
            return -self.business_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += ONE_DAY
            if self.is_business_day(day):
                count += 1
        return count

    # --- bid and trade deadlines (rulebook §4, §7) --------------------------

    def dam_open(self, trade_date: date) -> datetime:
        """When DAM bids for T open: ``dam_open_days_before`` days before T at ``dam_open_time``.

        The rulebook gives only the day; the hour (00:00 PT) is an assumption.

        Example::

            >>> MarketCalendar().dam_open(date(2020, 6, 8)).isoformat()
            '2020-06-01T07:00:00+00:00'
        """
        rules = self.params.deadlines
        open_day = trade_date - timedelta(days=rules.dam_open_days_before)
        return self._market_time(open_day, rules.dam_open_time)

    def dam_close(self, trade_date: date) -> datetime:
        """When DAM bids for T close: ``dam_close_time`` (10:00 PT) on T-1.

        Example::

            >>> MarketCalendar().dam_close(date(2020, 3, 8)).isoformat()
            '2020-03-07T18:00:00+00:00'
        """
        return self._market_time(
            self._dam_run_day(trade_date), self.params.deadlines.dam_close_time
        )

    def dam_results(self, trade_date: date) -> datetime:
        """When DAM results for T are published: ``dam_results_time`` (13:00 PT) on T-1.

        Example::

            >>> MarketCalendar().dam_results(date(2020, 6, 2)).isoformat()
            '2020-06-01T20:00:00+00:00'
        """
        rules = self.params.deadlines
        return self._market_time(self._dam_run_day(trade_date), rules.dam_results_time)

    def dam_rerun_deadline(self, trade_date: date) -> datetime:
        """Last moment a failed DAM for T may be re-run (13:00 PT on T-1); after it the
        DAM is cancelled for that day.

        Example::

            >>> MarketCalendar().dam_rerun_deadline(date(2020, 1, 2)).isoformat()
            '2020-01-01T21:00:00+00:00'
        """
        rules = self.params.deadlines
        return self._market_time(self._dam_run_day(trade_date), rules.dam_rerun_deadline_time)

    def rt_bid_close(self, hour_start_utc: datetime) -> datetime:
        """When real-time bids for the hour starting at ``hour_start_utc`` close (T-75 min).

        The offset is elapsed time, so it is unaffected by a DST change in between.

        Example::

            >>> hour = datetime(2020, 6, 2, 7, tzinfo=UTC)  # 00:00 PDT
            >>> MarketCalendar().rt_bid_close(hour).isoformat()
            '2020-06-02T05:45:00+00:00'
        """
        minutes_before = self.params.deadlines.rt_bid_close_minutes_before_hour
        return self._require_hour_start(hour_start_utc) - timedelta(minutes=minutes_before)

    def ist_dam_close(self, trade_date: date) -> datetime:
        """When day-ahead inter-SC trades for T close: ``ist_dam_close_time`` (11:00 PT) on T-1.

        Example::

            >>> MarketCalendar().ist_dam_close(date(2020, 6, 2)).isoformat()
            '2020-06-01T18:00:00+00:00'
        """
        rules = self.params.deadlines
        return self._market_time(self._dam_run_day(trade_date), rules.ist_dam_close_time)

    def ist_rt_close(self, hour_start_utc: datetime) -> datetime:
        """When real-time inter-SC trades for the hour close (45 min before it starts).

        Example::

            >>> hour = datetime(2020, 6, 2, 7, tzinfo=UTC)
            >>> MarketCalendar().ist_rt_close(hour).isoformat()
            '2020-06-02T06:15:00+00:00'
        """
        minutes_before = self.params.deadlines.ist_rt_close_minutes_before_hour
        return self._require_hour_start(hour_start_utc) - timedelta(minutes=minutes_before)

    def deadlines_for(self, trade_date: date) -> list[Deadline]:
        """Every bid and trade deadline of trade date T, in time order.

        The day-ahead deadlines, then for each hour of T its real-time bid and
        IST deadlines (named e.g. ``rt_bid_close_HE05``).

        Example::

            >>> [d.name for d in MarketCalendar().deadlines_for(date(2020, 6, 2))][:3]
            ['dam_open', 'dam_close', 'ist_dam_close']
        """
        deadlines = [
            Deadline("dam_open", self.dam_open(trade_date)),
            Deadline("dam_close", self.dam_close(trade_date)),
            Deadline("ist_dam_close", self.ist_dam_close(trade_date)),
            Deadline("dam_results", self.dam_results(trade_date)),
            Deadline("dam_rerun_deadline", self.dam_rerun_deadline(trade_date)),
        ]
        for hour in self.intervals(trade_date, MINUTES_PER_HOUR):
            bid_close = self.rt_bid_close(hour.start_utc)
            trade_close = self.ist_rt_close(hour.start_utc)
            deadlines.append(Deadline(f"rt_bid_close_{hour.label}", bid_close, hour.hour_ending))
            deadlines.append(Deadline(f"ist_rt_close_{hour.label}", trade_close, hour.hour_ending))
        # Stable sort: deadlines at the same instant keep the order above.
        return sorted(deadlines, key=lambda deadline: deadline.instant_utc)

    # --- settlement, metering and participant dates (rulebook §2, §3, §6, §8, §9) ---

    def statement_schedule(self, trade_date: date) -> list[ScheduledStatement]:
        """The settlement statements for trade date T, in order, with publication dates.

        Initial at T+9B, recalculation at T+70B, then T+11M, T+21M and T+24M:
        calendar months after T (the last day of a shorter month if T's day does
        not exist in it), moved to the next business day if not one. The later
        statements are listed even though they are issued only if something changed.

        Example::

            >>> for kind, day in MarketCalendar().statement_schedule(date(2020, 6, 1))[:3]:
            ...     print(kind, day)
            initial 2020-06-12
            recalculation 2020-09-09
            recalculation_11m 2021-05-03
        """
        rules = self.params.settlement
        schedule = [
            ScheduledStatement(
                INITIAL_STATEMENT,
                self.add_business_days(trade_date, rules.initial_statement_business_days),
            ),
            ScheduledStatement(
                RECALCULATION_STATEMENT,
                self.add_business_days(trade_date, rules.recalculation_statement_business_days),
            ),
        ]
        for months in rules.later_recalculation_months:
            publication = self.next_business_day_on_or_after(add_months(trade_date, months))
            schedule.append(ScheduledStatement(f"{RECALCULATION_STATEMENT}_{months}m", publication))
        return schedule

    def next_invoice_date(self, day: date) -> date:
        """The first invoice date on or after ``day``.

        Invoices are weekly on ``invoice_weekday``; when that day is not a
        business day the invoice goes out on the next business day.

        Example::

            >>> MarketCalendar().next_invoice_date(date(2020, 9, 2))  # a Wednesday
            datetime.date(2020, 9, 8)
        """
        weekday = self.params.settlement.invoice_weekday
        # Start from this week's scheduled day: if it was a holiday, its invoice
        # may have moved to ``day`` or later.
        scheduled = day - timedelta(days=(day.weekday() - weekday) % ONE_WEEK.days)
        while True:
            issued = self.next_business_day_on_or_after(scheduled)
            if issued >= day:
                return issued
            scheduled += ONE_WEEK

    def invoice_due_date(self, invoice_date: date) -> date:
        """Payment due date: ``payment_due_business_days`` (5) business days after the invoice.

        An invoice dated on a non-business day counts from the next business day.

        Example::

            >>> MarketCalendar().invoice_due_date(date(2020, 11, 23))  # Thanksgiving skipped
            datetime.date(2020, 12, 1)
        """
        first_business_day = self.next_business_day_on_or_after(invoice_date)
        return self.add_business_days(
            first_business_day, self.params.settlement.payment_due_business_days
        )

    def dispute_deadline(self, statement_publication_date: date) -> date:
        """Last day to dispute a recalculation statement: 22 business days after publication.

        Example::

            >>> MarketCalendar().dispute_deadline(date(2020, 9, 9))
            datetime.date(2020, 10, 9)
        """
        return self.add_business_days(
            statement_publication_date, self.params.settlement.dispute_window_business_days
        )

    def sqmd_initial_deadline(self, trade_date: date) -> date:
        """Meter data (SQMD) for the initial statement is due at T+5B.

        Example::

            >>> MarketCalendar().sqmd_initial_deadline(date(2020, 6, 1))
            datetime.date(2020, 6, 8)
        """
        return self.add_business_days(trade_date, self.params.metering.initial_sqmd_business_days)

    def sqmd_final_deadline(self, trade_date: date) -> date:
        """Final meter data (SQMD) for the recalculation statement is due at T+52B.

        Example::

            >>> MarketCalendar().sqmd_final_deadline(date(2020, 6, 1))
            datetime.date(2020, 8, 13)
        """
        return self.add_business_days(trade_date, self.params.metering.final_sqmd_business_days)

    def completeness_review_due(self, received: date) -> date:
        """The ISO says whether an SC application is complete within 10 business days.

        Example::

            >>> MarketCalendar().completeness_review_due(date(2020, 6, 1))
            datetime.date(2020, 6, 15)
        """
        return self.add_business_days(
            received, self.params.participants.completeness_review_business_days
        )

    def collateral_call_due(self, issued: date) -> date:
        """Financial security answering a collateral call is due within 2 business days.

        Example::

            >>> MarketCalendar().collateral_call_due(date(2020, 12, 24))
            datetime.date(2020, 12, 29)
        """
        return self.add_business_days(issued, self.params.credit.collateral_call_due_business_days)

    def material_change_report_due(self, change_date: date) -> date:
        """A material change must be reported within 5 business days.

        Example::

            >>> MarketCalendar().material_change_report_due(date(2020, 6, 1))
            datetime.date(2020, 6, 8)
        """
        return self.add_business_days(
            change_date, self.params.participants.material_change_report_business_days
        )

    def earliest_account_change_effective(self, filed: date) -> date:
        """Earliest effective date of an account change: 11 business days after filing.

        Example::

            >>> MarketCalendar().earliest_account_change_effective(date(2020, 6, 1))
            datetime.date(2020, 6, 16)
        """
        return self.add_business_days(
            filed, self.params.participants.account_change_lead_business_days
        )

    def officer_certification_due(self, year: int) -> date:
        """The annual officer certification is due by this date (30 April), as configured.

        The date is not moved off weekends: "by 30 April" is a calendar date.

        Example::

            >>> MarketCalendar().officer_certification_due(2021)
            datetime.date(2021, 4, 30)
        """
        rules = self.params.participants
        return date(
            year, rules.officer_certification_due_month, rules.officer_certification_due_day
        )

    def resource_transfer_earliest_effective(self, submitted: date) -> date:
        """Earliest effective date of a resource transfer to another SC: 11 business days on.

        Example::

            >>> MarketCalendar().resource_transfer_earliest_effective(date(2020, 6, 1))
            datetime.date(2020, 6, 16)
        """
        return self.add_business_days(submitted, self.params.resources.transfer_lead_business_days)

    def same_sc_scid_move_effective(self, submitted: date) -> date:
        """A move between two SCIDs of one SC takes effect 10 calendar days after submission.

        Example::

            >>> MarketCalendar().same_sc_scid_move_effective(date(2020, 6, 25))
            datetime.date(2020, 7, 5)
        """
        return submitted + timedelta(days=self.params.resources.same_sc_scid_move_days)

    # --- helpers ----------------------------------------------------------

    def _market_time(self, day: date, wall_clock: time) -> datetime:
        """A wall-clock time in market time on ``day``, as a UTC instant."""
        return datetime.combine(day, wall_clock, tzinfo=self.timezone).astimezone(UTC)

    def _day_length(self, trade_date: date) -> timedelta:
        return self.trade_day_end_utc(trade_date) - self.trade_day_start_utc(trade_date)

    def _dam_run_day(self, trade_date: date) -> date:
        """The day the DAM for T runs: close, IST close, results and re-run all fall on it."""
        return trade_date - timedelta(days=self.params.deadlines.dam_close_days_before)

    def _interval(
        self, trade_date: date, day_start: datetime, minutes: int, index: int
    ) -> MarketInterval:
        elapsed_minutes = index * minutes
        hour_ending = elapsed_minutes // MINUTES_PER_HOUR + 1
        interval_in_hour = elapsed_minutes % MINUTES_PER_HOUR // minutes + 1
        if minutes == MINUTES_PER_HOUR:
            label = f"HE{hour_ending:02d}"
        else:
            label = f"HE{hour_ending:02d}-{interval_in_hour:02d}"
        start = day_start + timedelta(minutes=elapsed_minutes)
        return MarketInterval(
            trade_date=trade_date,
            market=self._market_by_minutes.get(minutes),
            minutes=minutes,
            index=index,
            start_utc=start,
            end_utc=start + timedelta(minutes=minutes),
            hour_ending=hour_ending,
            interval_in_hour=interval_in_hour,
            label=label,
            timezone=self.timezone,
        )

    def _require_hour_start(self, instant_utc: datetime) -> datetime:
        instant = as_utc(instant_utc)
        if self.interval_containing(instant, MINUTES_PER_HOUR).start_utc != instant:
            raise ValueError(f"{instant.isoformat()} is not the start of a market hour")
        return instant


def add_months(day: date, months: int) -> date:
    """``day`` plus calendar months, clamped to a shorter month's end (31 Jan + 1M = 28/29 Feb)."""
    year, month_index = divmod(day.month - 1 + months, MONTHS_PER_YEAR)
    target_year, target_month = day.year + year, month_index + 1
    return date(target_year, target_month, min(day.day, _days_in_month(target_year, target_month)))


def _days_in_month(year: int, month: int) -> int:
    first_of_next = date(year + month // MONTHS_PER_YEAR, month % MONTHS_PER_YEAR + 1, 1)
    return (first_of_next - ONE_DAY).day


@lru_cache(maxsize=1)
def default_calendar() -> MarketCalendar:
    """The calendar for the process's effective market parameters (settings, env, file).

    Cached; after changing settings call ``default_calendar.cache_clear()``.

    Example::

        >>> default_calendar().hours_in_day(date(2020, 6, 1))
        24
    """
    return MarketCalendar(get_settings().market_parameters())
