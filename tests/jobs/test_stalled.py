"""A job whose worker died is put back in the queue and done once, on PostgreSQL.

Killed after its work committed, the job finds its record and does nothing again; killed
in the middle of its transaction, it left nothing and is done from the start.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from tests.jobs.worker_faults import load_market_days, start_worker, wait_for, writing_to

from gridmarket.access.models import AuditEntry
from gridmarket.bidding.models import Bid
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters
from gridmarket.db.engine import make_session_factory, unit_of_work
from gridmarket.jobs.catalog import Job, JobKind
from gridmarket.jobs.models import JobRecord, JobStatus
from gridmarket.jobs.perform import perform
from gridmarket.jobs.queue import PostgresQueue
from gridmarket.jobs.stalled import retry_stalled_jobs
from gridmarket.jobs.work import JobEnvironment
from gridmarket.markets.run_models import MarketKind, MarketRun, RunStatus

PARAMETERS = MarketParameters()
CALENDAR = MarketCalendar(PARAMETERS)
DAY = date(2020, 7, 15)
AFTER_THE_DAY = CALENDAR.trade_day_end_utc(DAY) + timedelta(hours=1)
CREDIT = Job(JobKind.CREDIT_DAILY, DAY)
STALL_SECONDS = 60.0


@pytest.fixture
def env(postgres_engine: Engine, data_dir: Path) -> JobEnvironment:
    return JobEnvironment(session_factory=make_session_factory(postgres_engine),
                          parameters=PARAMETERS, data_dir=data_dir,
                          clock=FixedClock(AFTER_THE_DAY))


@pytest.fixture
def queue(postgres_url: str) -> Iterator[PostgresQueue]:
    yield PostgresQueue(postgres_url)


def _take_and_hold(queue: PostgresQueue) -> int:
    """Register a worker and let it take the next job, as `gridmarket worker` does; it runs
    nothing and sends no more heartbeats. The job's id."""
    async def take() -> int:
        async with queue.app.open_async():
            worker = await queue.app.job_manager.register_worker()
            job = await queue.app.job_manager.fetch_job(queues=None, worker_id=worker)
            assert job is not None and job.id is not None
            return job.id
    return asyncio.run(take())


def _silence_workers(engine: Engine, seconds: float) -> None:
    """As if ``seconds`` had passed since every registered worker's last heartbeat."""
    with engine.begin() as connection:
        connection.execute(text(
            "UPDATE procrastinate_workers SET last_heartbeat = last_heartbeat - "
            "make_interval(secs => :seconds)"), {"seconds": seconds})


def _retry_stalled(queue: PostgresQueue, stall_seconds: float) -> list[int]:
    async def retry() -> list[int]:
        async with queue.app.open_async():
            return [job.id for job in await retry_stalled_jobs(queue.app, stall_seconds)
                    if job.id is not None]
    return asyncio.run(retry())


def _statuses(queue: PostgresQueue) -> list[str]:
    with queue.app.open():
        return [job.status for job in queue.app.job_manager.list_jobs()]


def _credit_runs(env: JobEnvironment) -> int:
    with unit_of_work(env.session_factory) as session:
        return session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "job.daily_credit", AuditEntry.object_id == DAY.isoformat())
        ) or 0


def _records(env: JobEnvironment) -> list[tuple[str, str, JobStatus, int]]:
    with unit_of_work(env.session_factory) as session:
        return [(r.kind, r.key, r.status, r.attempts) for r in session.scalars(select(JobRecord))]


def test_a_job_whose_worker_died_after_committing_is_retried_and_does_nothing_twice(
        queue: PostgresQueue, env: JobEnvironment, postgres_engine: Engine) -> None:
    queue.submit([CREDIT])
    job_id = _take_and_hold(queue)
    assert _retry_stalled(queue, STALL_SECONDS) == []  # its worker's heartbeat is fresh
    perform(CREDIT, env)  # the worker's work commits, then the worker dies
    _silence_workers(postgres_engine, STALL_SECONDS - 5)
    assert _retry_stalled(queue, STALL_SECONDS) == []  # not silent for long enough yet
    assert _statuses(queue) == ["doing"]
    _silence_workers(postgres_engine, 10)
    queue.run_worker(env, stall_seconds=STALL_SECONDS, wait=False)
    with queue.app.open():
        (job,) = queue.app.job_manager.list_jobs()
    assert (job.id, job.status) == (job_id, "succeeded")
    assert _credit_runs(env) == 1
    assert _records(env) == [("credit_daily", "2020-07-15", JobStatus.DONE, 1)]


def test_a_stalled_job_with_a_copy_waiting_ends_and_the_copy_does_the_job(
        queue: PostgresQueue, env: JobEnvironment, postgres_engine: Engine) -> None:
    queue.submit([CREDIT])
    _take_and_hold(queue)
    _silence_workers(postgres_engine, STALL_SECONDS + 1)
    # Queued again by hand while the first copy is stuck "doing".
    assert queue.submit([CREDIT]) == [CREDIT]
    queue.run_worker(env, stall_seconds=STALL_SECONDS, wait=False)
    assert _statuses(queue) == ["failed", "succeeded"]
    assert _credit_runs(env) == 1
    assert _records(env) == [("credit_daily", "2020-07-15", JobStatus.DONE, 1)]


def _count(env: JobEnvironment, model: type[Bid] | type[MarketRun]) -> int:
    with unit_of_work(env.session_factory) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_dam_run_killed_mid_transaction_leaves_nothing_and_is_run_again_once(
        queue: PostgresQueue, env: JobEnvironment, postgres_url: str,
        postgres_engine: Engine, data_dir: Path, tmp_path: Path) -> None:
    load_market_days(env, [DAY])
    bids_before = _count(env, Bid)
    dam = Job(JobKind.DAM_CLOSE_AND_RUN, DAY)
    queue.submit([dam])
    stall_seconds = 1.0
    worker = start_worker(postgres_url, "doomed", data_dir=data_dir, clock=AFTER_THE_DAY,
                          stall_seconds=stall_seconds, log_dir=tmp_path)
    try:
        # The DAM is closed (bids generated) and the run written, but not committed.
        wait_for(lambda: "doomed" in writing_to(postgres_engine, "market_run"), timeout=120,
                 what="the worker to write its DAM run")
    finally:
        worker.kill()
        worker.wait(timeout=30)
    assert worker.returncode == -9
    wait_for(lambda: not writing_to(postgres_engine, "market_run"), timeout=30,
             what="PostgreSQL to end the dead worker's transaction")
    assert (_count(env, Bid), _count(env, MarketRun), _records(env)) == (bids_before, 0, [])
    assert _statuses(queue) == ["doing"]
    time.sleep(stall_seconds)
    queue.run_worker(env, stall_seconds=stall_seconds, wait=False)
    assert _statuses(queue) == ["succeeded"]
    with unit_of_work(env.session_factory) as session:
        runs = session.execute(select(MarketRun.market, MarketRun.status)).all()
    assert sorted(runs) == [(MarketKind.DAM, RunStatus.COMPLETED),
                            (MarketKind.RUC, RunStatus.COMPLETED)]
    assert _records(env) == [("dam_close_and_run", "2020-07-15", JobStatus.DONE, 1)]
    assert _count(env, Bid) > bids_before  # the bids the close generated, once
