"""Which jobs are due, from the calendar and a fixed clock, across daylight-saving days."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from sqlalchemy.orm import Session

from gridmarket.calendar import MarketCalendar
from gridmarket.config import MarketParameters
from gridmarket.jobs.catalog import Job, JobKind
from gridmarket.jobs.models import JobRecord, JobStatus
from gridmarket.jobs.schedule import due_jobs
from gridmarket.markets.models import ForecastHorizon, ForecastKind, ForecastValue
from gridmarket.markets.parameters import record_parameters
from gridmarket.markets.run_models import MarketKind, MarketRun, RunStatus
from gridmarket.network.models import NetworkModel

PARAMETERS = MarketParameters()
CALENDAR = MarketCalendar(PARAMETERS)
FALL_BACK = date(2031, 11, 2)  # 25 hours
SPRING_FORWARD = date(2031, 3, 9)  # 23 hours


def _market_day(session: Session, day: date) -> None:
    """A day-ahead forecast for ``day``: the ISO has set up its market."""
    model = NetworkModel(name=f"test {uuid4().hex[:8]}", source="test", fingerprint="0" * 64)
    session.add(model)
    session.flush()
    session.add(ForecastValue(network_model_id=model.id, horizon=ForecastHorizon.DAY_AHEAD,
                              kind=ForecastKind.AREA_LOAD, object_id="1",
                              interval_start_utc=CALENDAR.trade_day_start_utc(day),
                              interval_minutes=60, value_mw=100.0))
    session.flush()


def _published(session: Session, day: date, market: MarketKind = MarketKind.DAM) -> None:
    session.add(MarketRun(market=market, trade_date=day, status=RunStatus.COMPLETED,
                          started_at=CALENDAR.dam_close(day), finished_at=CALENDAR.dam_close(day),
                          parameter_set_id=record_parameters(session, PARAMETERS).id,
                          timings_json="{}", consistency_json=json.dumps({})))
    session.flush()


def _record(session: Session, *jobs: Job) -> None:
    session.add_all([JobRecord(kind=job.kind.value, key=job.key, status=JobStatus.DONE,
                               detail="", attempts=1, finished_at=datetime(2031, 1, 1, tzinfo=UTC))
                     for job in jobs])
    session.flush()


def _due(session: Session, now: datetime, day: date) -> list[Job]:
    return [job for job in due_jobs(session, now, PARAMETERS, catch_up_days=2)
            if job.day == day]


def _labels(jobs: list[Job], kind: JobKind) -> list[str]:
    return [job.key.split(" ", 1)[1] for job in jobs if job.kind is kind]


def test_nothing_is_due_before_the_dam_closes(db_session: Session) -> None:
    _market_day(db_session, FALL_BACK)
    just_before = CALENDAR.ist_dam_close(FALL_BACK) - timedelta(seconds=1)
    assert _due(db_session, just_before, FALL_BACK) == []
    at_close = CALENDAR.ist_dam_close(FALL_BACK)
    assert _due(db_session, at_close, FALL_BACK) == [Job(JobKind.DAM_CLOSE_AND_RUN, FALL_BACK)]


def test_the_fall_back_day_closes_25_hours_then_runs_real_time(db_session: Session) -> None:
    _market_day(db_session, FALL_BACK)
    end = CALENDAR.trade_day_end_utc(FALL_BACK)
    due = _due(db_session, end, FALL_BACK)
    hours = _labels(due, JobKind.RT_HOUR_CLOSE)
    assert hours == [f"HE{h:02d}" for h in range(1, 26)]  # the repeated 01:00 is HE02 and HE03
    # Real time waits for every hour's close to be done and for a published DAM.
    assert _labels(due, JobKind.RT_RUN) == []
    _record(db_session, *[job for job in due if job.kind is not JobKind.RT_RUN])
    assert _due(db_session, end, FALL_BACK) == []
    _published(db_session, FALL_BACK)
    assert _labels(_due(db_session, end, FALL_BACK), JobKind.RT_RUN) == ["FMM", "RTD"]


def test_the_spring_forward_day_closes_hours_by_elapsed_time(db_session: Session) -> None:
    _market_day(db_session, SPRING_FORWARD)
    # 12:00 PDT is 11 elapsed hours into the day (02:00 never happened): HE12 has begun.
    # Each hour closes 45 minutes before it starts: HE01..HE12 have, HE13 (13:00) has not.
    noon = datetime(2031, 3, 9, 19, 0, tzinfo=UTC)
    assert CALENDAR.hour_ending_of(noon) == (SPRING_FORWARD, 12)
    hours = _labels(_due(db_session, noon, SPRING_FORWARD), JobKind.RT_HOUR_CLOSE)
    assert hours == [f"HE{h:02d}" for h in range(1, 13)]
    later = _labels(_due(db_session, noon + timedelta(minutes=15), SPRING_FORWARD),
                    JobKind.RT_HOUR_CLOSE)
    assert later[-1] == "HE13"
    day_end = CALENDAR.trade_day_end_utc(SPRING_FORWARD)
    every_hour = _labels(_due(db_session, day_end, SPRING_FORWARD), JobKind.RT_HOUR_CLOSE)
    assert every_hour == [f"HE{h:02d}" for h in range(1, 24)]


def test_a_day_without_forecast_has_no_market_jobs(db_session: Session) -> None:
    end = CALENDAR.trade_day_end_utc(FALL_BACK)
    assert [job for job in _due(db_session, end, FALL_BACK)
            if job.queue == "market"] == []


def test_statements_follow_the_schedule_and_invoices_wait_for_them(db_session: Session) -> None:
    _published(db_session, FALL_BACK)
    initial, recalculation = CALENDAR.statement_schedule(FALL_BACK)[:2]
    invoice_date = CALENDAR.next_invoice_date(initial.publication_date)

    def due_on(day: date) -> list[Job]:
        now = CALENDAR.trade_day_start_utc(day) + timedelta(hours=1)
        return [job for job in due_jobs(db_session, now, PARAMETERS, catch_up_days=2)
                if job.day in (FALL_BACK, day) and job.queue == "settlement"]

    assert due_on(initial.publication_date - timedelta(days=1)) == []
    assert due_on(initial.publication_date) == [
        Job(JobKind.SETTLEMENT_STATEMENT, FALL_BACK, "initial")]
    # On the invoice date the initial statement is still not issued: the invoice waits.
    assert due_on(invoice_date) == [Job(JobKind.SETTLEMENT_STATEMENT, FALL_BACK, "initial")]
    _record(db_session, Job(JobKind.SETTLEMENT_STATEMENT, FALL_BACK, "initial"))
    assert due_on(invoice_date) == [Job(JobKind.INVOICE_RUN, invoice_date)]
    # The recalculation comes at its own date, never before.
    assert due_on(recalculation.publication_date - timedelta(days=1)) == []
    assert Job(JobKind.SETTLEMENT_STATEMENT, FALL_BACK, "recalculation") in due_on(
        recalculation.publication_date)


def test_daily_jobs_are_due_once_a_day(db_session: Session) -> None:
    today = date(2031, 11, 3)
    now = CALENDAR.trade_day_start_utc(today)
    daily = [job for job in due_jobs(db_session, now, PARAMETERS, catch_up_days=0)
             if job.kind in (JobKind.CREDIT_DAILY, JobKind.SC_OBLIGATIONS_DAILY)]
    assert daily == [Job(JobKind.CREDIT_DAILY, today), Job(JobKind.SC_OBLIGATIONS_DAILY, today)]
    _record(db_session, *daily)
    assert [job for job in due_jobs(db_session, now + timedelta(hours=23), PARAMETERS,
                                    catch_up_days=0) if job.queue in ("credit", "obligations")
            ] == []
