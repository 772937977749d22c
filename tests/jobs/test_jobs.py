"""Jobs happen once: retried, queued twice or run twice at once, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.markets.market_helpers import small_market

from gridmarket.access.models import AuditEntry
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters
from gridmarket.db.engine import make_engine, make_session_factory, unit_of_work
from gridmarket.errors import Conflict
from gridmarket.jobs import work
from gridmarket.jobs.catalog import Job, JobKind
from gridmarket.jobs.models import JobRecord, JobStatus
from gridmarket.jobs.perform import perform
from gridmarket.jobs.queue import InlineQueue, PostgresQueue, job_queue
from gridmarket.jobs.schedule import tick
from gridmarket.jobs.work import JobEnvironment, do_job
from gridmarket.markets.forecasts import load_rts_gmlc_forecasts
from gridmarket.markets.run_models import MarketKind, MarketRun, RunStatus
from gridmarket.network.models import NetworkModel
from gridmarket.resources.rts_import import import_rts_gmlc
from gridmarket.settlement.models import SettlementRun

PARAMETERS = MarketParameters()
CALENDAR = MarketCalendar(PARAMETERS)
DAY = date(2020, 11, 1)  # the 25-hour day, within the RTS-GMLC data
CREDIT = Job(JobKind.CREDIT_DAILY, DAY)
STALL_SECONDS = 60.0


@pytest.fixture
def environment(fresh_url: str, data_dir: Path) -> Iterator[JobEnvironment]:
    engine = make_engine(fresh_url)
    yield JobEnvironment(session_factory=make_session_factory(engine), parameters=PARAMETERS,
                         data_dir=data_dir,
                         clock=FixedClock(CALENDAR.trade_day_start_utc(DAY) + timedelta(hours=1)))
    engine.dispose()


@pytest.fixture
def postgres_environment(postgres_url: str, data_dir: Path) -> Iterator[JobEnvironment]:
    engine = make_engine(postgres_url)
    yield JobEnvironment(session_factory=make_session_factory(engine), parameters=PARAMETERS,
                         data_dir=data_dir,
                         clock=FixedClock(CALENDAR.trade_day_start_utc(DAY) + timedelta(hours=1)))
    engine.dispose()


def _record(env: JobEnvironment, job: Job) -> JobRecord | None:
    with unit_of_work(env.session_factory) as session:
        return session.scalar(select(JobRecord).where(JobRecord.kind == job.kind.value,
                                                      JobRecord.key == job.key))


def _credit_runs(env: JobEnvironment) -> int:
    """How many times the daily credit job of DAY did its work (it audits each run)."""
    with unit_of_work(env.session_factory) as session:
        return session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "job.daily_credit", AuditEntry.object_id == DAY.isoformat())
        ) or 0


def test_a_job_performed_twice_does_its_work_once(environment: JobEnvironment) -> None:
    first = perform(CREDIT, environment)
    second = perform(CREDIT, environment)
    assert (first.skipped, second.skipped) == (False, True)
    assert second.detail == first.detail and "credit of 0 SCs recomputed" in first.detail
    assert _credit_runs(environment) == 1
    record = _record(environment, CREDIT)
    assert record is not None and (record.status, record.attempts) == (JobStatus.DONE, 1)


def test_a_refused_job_is_recorded_and_can_be_run_again(environment: JobEnvironment) -> None:
    hour = Job(JobKind.RT_HOUR_CLOSE, DAY, "20")
    assert isinstance(environment.clock, FixedClock)
    with pytest.raises(Conflict, match="close at"):
        perform(hour, environment)
    refused = _record(environment, hour)
    assert refused is not None and refused.status is JobStatus.FAILED
    assert "real-time bids for 2020-11-01 HE20 close at" in refused.detail
    environment.clock.set(CALENDAR.trade_day_end_utc(DAY))
    assert perform(hour, environment).detail == "RTM HE20 closed no pending bids, " \
                                                "0 unmatched trades"
    done = _record(environment, hour)
    assert done is not None and (done.status, done.attempts) == (JobStatus.DONE, 2)


def test_a_statement_already_issued_is_not_issued_again(db_session: Session,
                                                        data_dir: Path) -> None:
    trade_date = date(2031, 6, 3)
    run = SettlementRun(trade_date=trade_date, kind="initial", status="PUBLISHED",
                        missing_meter_policy="refuse", line_count=0, total_usd=Decimal(0),
                        created_at=datetime(2031, 6, 16, tzinfo=UTC))
    db_session.add(run)
    db_session.flush()
    env = JobEnvironment(session_factory=make_session_factory(db_session.get_bind()),
                         parameters=PARAMETERS, data_dir=data_dir,
                         clock=FixedClock(datetime(2031, 6, 17, tzinfo=UTC)))
    job = Job(JobKind.SETTLEMENT_STATEMENT, trade_date, "initial")
    assert do_job(db_session, job, env) == \
        f"initial statement already issued (settlement run {run.id})"


def test_two_copies_at_once_commit_the_work_once(postgres_environment: JobEnvironment,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    real = work.WORK[JobKind.CREDIT_DAILY]

    def slow(session: Session, job: Job, env: JobEnvironment) -> str:
        time.sleep(0.5)  # the other copy arrives while this one holds the key
        return real(session, job, env)

    monkeypatch.setitem(work.WORK, JobKind.CREDIT_DAILY, slow)
    outcomes = []
    threads = [threading.Thread(target=lambda: outcomes.append(
        perform(CREDIT, postgres_environment))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcome.skipped for outcome in outcomes) == [False, True]
    assert _credit_runs(postgres_environment) == 1


def test_the_queue_takes_a_job_once_and_a_retried_job_does_nothing(
        postgres_url: str, postgres_environment: JobEnvironment) -> None:
    queue = PostgresQueue(postgres_url)
    assert queue.submit([CREDIT]) == [CREDIT]
    assert queue.submit([CREDIT]) == []  # one copy waits already (queueing lock)
    queue.run_worker(postgres_environment, stall_seconds=STALL_SECONDS, wait=False)
    assert _credit_runs(postgres_environment) == 1
    # The job finished, so a new copy is taken; it finds the work done.
    assert queue.submit([CREDIT]) == [CREDIT]
    queue.run_worker(postgres_environment, stall_seconds=STALL_SECONDS, queues=["credit"],
                     wait=False)
    assert _credit_runs(postgres_environment) == 1
    with queue.app.open():
        statuses = [job.status for job in queue.app.job_manager.list_jobs()]
    assert statuses == ["succeeded", "succeeded"]


def test_a_refused_queued_job_fails_once_and_is_not_requeued(
        postgres_url: str, postgres_environment: JobEnvironment) -> None:
    queue = PostgresQueue(postgres_url)
    early = Job(JobKind.RT_HOUR_CLOSE, DAY, "24")
    queue.submit([early])
    queue.run_worker(postgres_environment, stall_seconds=STALL_SECONDS, queues=["market"],
                     wait=False)
    with queue.app.open():
        assert [job.status for job in queue.app.job_manager.list_jobs()] == ["failed"]
    refused = _record(postgres_environment, early)
    assert refused is not None and refused.status is JobStatus.FAILED
    # The scheduler leaves it to an operator: it is not due again.
    taken = tick(postgres_environment.session_factory, queue, postgres_environment.clock.now(),
                 PARAMETERS, catch_up_days=1)
    assert early not in taken


def _market_day(env: JobEnvironment) -> None:
    """The RTS-GMLC Master File and forecasts of DAY, and two SCs' DAM bids for its 25 hours."""
    with unit_of_work(env.session_factory) as session:
        import_rts_gmlc(session, env.data_dir / "rts-gmlc", PARAMETERS)
        model = session.scalars(select(NetworkModel)).one()
        load_rts_gmlc_forecasts(session, model, env.data_dir / "rts-gmlc", DAY, CALENDAR)
        small_market(session, range(1, CALENDAR.hours_in_day(DAY) + 1), DAY)


def test_the_scheduler_runs_a_fall_back_day_once(fresh_url: str,
                                                 environment: JobEnvironment) -> None:
    """Ticks every 30 minutes from before the DAM closes to the day after; SQLite does every
    job in process, PostgreSQL queues them for a worker. Each job is done once, in order."""
    _market_day(environment)
    clock = environment.clock
    assert isinstance(clock, FixedClock)
    clock.set(CALENDAR.dam_close(DAY) - timedelta(minutes=30))
    queue = job_queue(fresh_url, environment)
    assert isinstance(queue, InlineQueue) == fresh_url.startswith("sqlite")
    taken: list[Job] = []
    while clock.now() <= CALENDAR.trade_day_end_utc(DAY) + timedelta(hours=1):
        taken += tick(environment.session_factory, queue, clock.now(), PARAMETERS,
                      catch_up_days=1)
        if isinstance(queue, PostgresQueue):
            queue.run_worker(environment, stall_seconds=STALL_SECONDS, wait=False)
        clock.advance(timedelta(minutes=30))
    assert len({str(job) for job in taken}) == len(taken)
    market = [job for job in taken if job.day == DAY and job.queue == "market"]
    assert market[0] == Job(JobKind.DAM_CLOSE_AND_RUN, DAY)
    assert [job.part for job in market[1:26]] == [str(hour) for hour in range(1, 26)]
    assert [job.part for job in market[26:]] == ["FMM", "RTD"]
    with unit_of_work(environment.session_factory) as session:
        records = {(r.kind, r.key): r for r in session.scalars(select(JobRecord))}
        runs = session.execute(select(MarketRun.market, MarketRun.status).where(
            MarketRun.trade_date == DAY).order_by(MarketRun.id)).all()
    assert len(records) == len(taken)
    assert {r.status for r in records.values()} == {JobStatus.DONE}, [
        r.detail for r in records.values() if r.status is not JobStatus.DONE]
    assert [(market, status) for market, status in runs] == [
        (MarketKind.DAM, RunStatus.COMPLETED), (MarketKind.RUC, RunStatus.COMPLETED),
        (MarketKind.FMM, RunStatus.COMPLETED), (MarketKind.RTD, RunStatus.COMPLETED)]
    assert records[("dam_close_and_run", DAY.isoformat())].detail.startswith(
        "DAM closed no pending bids")
    days = sorted(job.day for job in taken if job.kind is JobKind.CREDIT_DAILY)
    assert days == [DAY - timedelta(days=1), DAY, DAY + timedelta(days=1)]
    assert Job(JobKind.INVOICE_RUN, DAY + timedelta(days=1)) in taken  # Monday
