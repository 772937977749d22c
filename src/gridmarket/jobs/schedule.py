"""The scheduler: from the market calendar and the clock, the jobs that are due and not done.

Every tick looks at "now" and finds each job whose time has come
(:class:`~gridmarket.calendar.MarketCalendar` deadlines in UTC, so 23- and
25-hour days need nothing special) and that has no record yet
(:mod:`gridmarket.jobs.models`), and hands them to the queue:

* **Market days** (trade dates whose day-ahead forecast is loaded, from
  ``catch_up_days`` ago to tomorrow): the DAM closes and runs once both its
  bids and its inter-SC trades have closed (``dam_close``, ``ist_dam_close``
  on T−1); each real-time hour closes once its bids and trades have
  (T−75 and T−45 minutes); FMM and RTD run over the day once every hour of
  it has closed and its DAM is published.
* **Statements** (trade dates with a completed market run, as far back as
  the last statement of the schedule reaches): the next statement of the
  schedule not yet issued, from its publication date (T+9B, T+70B, T+11M …).
* **Invoices**: each invoice date from ``catch_up_days`` ago to today, once
  every statement published by then has been issued.
* **Daily**: credit (EAL, collateral calls) and SC obligations, for today.

A job that failed is not scheduled again until an operator queues it
(``gridmarket jobs queue``).

Example::

    due = due_jobs(session, clock.now(), parameters, catch_up_days=2)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gridmarket.calendar import MINUTES_PER_HOUR, ONE_DAY, MarketCalendar
from gridmarket.config import MarketParameters
from gridmarket.db.engine import unit_of_work
from gridmarket.jobs.catalog import REAL_TIME_MARKETS, Job, JobKind
from gridmarket.jobs.models import JobRecord, JobStatus
from gridmarket.jobs.queue import InlineQueue, JobQueue
from gridmarket.markets.models import ForecastHorizon, ForecastValue
from gridmarket.markets.run_models import MarketKind, MarketRun, RunStatus
from gridmarket.markets.runs import published_run

STATEMENT_SLACK = timedelta(days=31)
"""Beyond the schedule's span, so a statement moved past a holiday is still found."""


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += ONE_DAY


def day_ahead_close(calendar: MarketCalendar, trade_date: date) -> datetime:
    """When the DAM job of ``trade_date`` is due: its bids and its trades have closed."""
    return max(calendar.dam_close(trade_date), calendar.ist_dam_close(trade_date))


def real_time_close(calendar: MarketCalendar, hour_start_utc: datetime) -> datetime:
    """When the close job of a real-time hour is due: its bids and its trades have closed."""
    return max(calendar.rt_bid_close(hour_start_utc), calendar.ist_rt_close(hour_start_utc))


class _Records:
    """The job records of the window, by kind and key."""

    def __init__(self, session: Session, *, since: date, statements_since: date) -> None:
        statement = JobRecord.kind == JobKind.SETTLEMENT_STATEMENT.value
        rows = session.execute(select(JobRecord.kind, JobRecord.key, JobRecord.status).where(
            (statement & (JobRecord.key >= statements_since.isoformat()))
            | (~statement & (JobRecord.key >= since.isoformat()))))
        self.status = {(kind, key): status for kind, key, status in rows}

    def recorded(self, job: Job) -> bool:
        return (job.kind.value, job.key) in self.status

    def done(self, job: Job) -> bool:
        return self.status.get((job.kind.value, job.key)) is JobStatus.DONE


def _has_day_ahead_forecast(session: Session, calendar: MarketCalendar, day: date) -> bool:
    return session.scalar(select(ForecastValue.id).where(
        ForecastValue.horizon == ForecastHorizon.DAY_AHEAD,
        ForecastValue.interval_start_utc >= calendar.trade_day_start_utc(day),
        ForecastValue.interval_start_utc < calendar.trade_day_end_utc(day)).limit(1)) is not None


def _market_day_jobs(session: Session, calendar: MarketCalendar, now: datetime, day: date,
                     records: _Records) -> list[Job]:
    due = []
    if day_ahead_close(calendar, day) <= now:
        due.append(Job(JobKind.DAM_CLOSE_AND_RUN, day))
    closes = [Job(JobKind.RT_HOUR_CLOSE, day, str(hour.hour_ending))
              for hour in calendar.intervals(day, MINUTES_PER_HOUR)
              if real_time_close(calendar, hour.start_utc) <= now]
    due += closes
    every_hour_closed = len(closes) == calendar.hours_in_day(day) and all(
        records.done(close) for close in closes)
    if every_hour_closed and published_run(session, day, MarketKind.DAM) is not None:
        due += [Job(JobKind.RT_RUN, day, market) for market in REAL_TIME_MARKETS]
    return due


def _first_statement_day(calendar: MarketCalendar, today: date) -> date:
    """The earliest trade date that may still have a statement to come."""
    span = calendar.statement_schedule(today)[-1].publication_date - today
    return today - span - STATEMENT_SLACK


def _statement_jobs(session: Session, calendar: MarketCalendar, today: date,
                    records: _Records) -> list[tuple[Job, date]]:
    """The next statement of each traded day, with its publication date, if it is due."""
    traded = session.scalars(select(MarketRun.trade_date).distinct().where(
        MarketRun.status == RunStatus.COMPLETED,
        MarketRun.trade_date >= _first_statement_day(calendar, today),
        MarketRun.trade_date < today).order_by(MarketRun.trade_date))
    due = []
    for trade_date in traded:
        for scheduled in calendar.statement_schedule(trade_date):
            job = Job(JobKind.SETTLEMENT_STATEMENT, trade_date, scheduled.kind)
            if records.done(job):
                continue
            if scheduled.publication_date <= today:
                due.append((job, scheduled.publication_date))
            break  # One at a time: a recalculation follows its predecessor.
    return due


def due_jobs(session: Session, now: datetime, parameters: MarketParameters, *,
             catch_up_days: int) -> list[Job]:
    """Every job whose time has come by ``now`` and that has no record, in the order to run."""
    calendar = MarketCalendar(parameters)
    today = calendar.trade_date_of(now)
    first_day = today - timedelta(days=catch_up_days)
    records = _Records(session, since=first_day,
                       statements_since=_first_statement_day(calendar, today))
    due: list[Job] = []
    for day in _days(first_day, today + ONE_DAY):
        if _has_day_ahead_forecast(session, calendar, day):
            due += _market_day_jobs(session, calendar, now, day, records)
    statements = [(job, published) for job, published in
                  _statement_jobs(session, calendar, today, records) if not records.recorded(job)]
    due += [job for job, _ in statements]
    for day in _days(first_day, today):
        # An invoice waits for the statements published by its date.
        if calendar.next_invoice_date(day) == day and all(
                published > day for _, published in statements):
            due.append(Job(JobKind.INVOICE_RUN, day))
    due += [Job(JobKind.CREDIT_DAILY, today), Job(JobKind.SC_OBLIGATIONS_DAILY, today)]
    return [job for job in due if not records.recorded(job)]


def tick(factory: sessionmaker[Session], queue: JobQueue, now: datetime,
         parameters: MarketParameters, *, catch_up_days: int) -> list[Job]:
    """Hand every due job to ``queue``; return those it took.

    Inline (SQLite), the jobs are done on the spot, so the jobs that waited
    for them (the day's real-time runs after its last hour closed) become due
    in the same tick and are done too.
    """
    taken: list[Job] = []
    while True:
        with unit_of_work(factory) as session:
            due = due_jobs(session, now, parameters, catch_up_days=catch_up_days)
        busy = queue.in_progress()
        new = [job for job in due if job not in taken and job.queueing_lock not in busy]
        if not new:
            return taken
        taken += queue.submit(new)
        if not isinstance(queue, InlineQueue):
            return taken
