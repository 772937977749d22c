"""Market runs done by job workers that keep being killed (SIGKILL), on PostgreSQL.

Three trade days of the small market are queued (each day's DAM, 24 hourly closes, FMM and
RTD); two `gridmarket worker` processes work on them. Twenty times, a worker busy in a job
is killed outright and a new one started in its place, as a supervisor would. Afterwards
every job has been done exactly once: one completed run per trade date and market, no
published row twice, and one DONE job record per job.
"""

from __future__ import annotations

import os
import random
import subprocess
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from tests.databases import BACKENDS, fresh_postgres_database
from tests.jobs.worker_faults import (
    load_market_days,
    market_day_jobs,
    start_worker,
    wait_for,
    writing_to,
)

from gridmarket.calendar import MarketCalendar
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters
from gridmarket.db.engine import make_engine, make_session_factory, unit_of_work
from gridmarket.db.migrate import upgrade
from gridmarket.jobs.models import JobRecord, JobStatus
from gridmarket.jobs.queue import PostgresQueue
from gridmarket.jobs.work import JobEnvironment
from gridmarket.markets.run_models import MarketKind, MarketRun, RunStatus

pytestmark = pytest.mark.system

PARAMETERS = MarketParameters()
CALENDAR = MarketCalendar(PARAMETERS)
DAYS = (date(2020, 7, 14), date(2020, 7, 15), date(2020, 7, 16))
AFTER_THE_DAYS = CALENDAR.trade_day_end_utc(DAYS[-1]) + timedelta(hours=1)
WORKERS = 2
KILLS = 20
STALL_SECONDS = 2.0
"""A killed worker's job is queued again after this much silence (production: a minute)."""
PAUSE_BETWEEN_KILLS = (0.3, 1.0)
"""Seconds in which the jobs go on undisturbed after a kill."""
LONGEST_KILL_DELAY = 1.5
"""Then a worker seen in a job is killed within this many seconds: mostly in the middle
of that job's transaction, sometimes just after it, or in the next job."""
FAULT_PHASE_SECONDS = 240
PUBLISHED_KEYS = {"market_award": "run_id, resource_id, interval_start_utc",
                  "market_price": "run_id, node, interval_start_utc",
                  "market_reserve_price": "run_id, zone, product, interval_start_utc",
                  "market_virtual_award": "run_id, bid_id, interval_start_utc",
                  "dispatch_instruction": "run_id, resource_id, interval_start_utc"}


@pytest.fixture
def database_url() -> str:
    if "postgresql" not in BACKENDS:
        pytest.skip("PostgreSQL left out by GRIDMARKET_TEST_BACKENDS")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    url = fresh_postgres_database(f"gridmarket_worker_faults_{worker}")
    upgrade(url)
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


class Supervisor:
    """Keeps ``WORKERS`` worker processes running; kills the ones it is told to."""

    def __init__(self, database_url: str, data_dir: Path, log_dir: Path) -> None:
        self.database_url, self.data_dir, self.log_dir = database_url, data_dir, log_dir
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.started = 0
        while len(self.running) < WORKERS:
            self._start()

    def _start(self) -> None:
        self.started += 1
        name = f"faulty-worker-{self.started}"
        self.running[name] = start_worker(self.database_url, name, data_dir=self.data_dir,
                                          clock=AFTER_THE_DAYS, stall_seconds=STALL_SECONDS,
                                          log_dir=self.log_dir)

    def kill_and_replace(self, name: str) -> None:
        process = self.running.pop(name)
        process.kill()
        process.wait(timeout=30)
        self._start()

    def stop(self) -> None:
        for process in self.running.values():
            process.terminate()
        for process in self.running.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _queue_left(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text(
            "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')")) or 0


def _busy_workers(engine: Engine, supervisor: Supervisor) -> list[str]:
    """The workers in a job's transaction."""
    busy = sorted(writing_to(engine, "job_record") & set(supervisor.running))
    assert busy or _queue_left(engine), "every job was done before the last kill"
    return busy


def _duplicates(engine: Engine, table: str, key: str) -> int:
    with engine.connect() as connection:
        return connection.scalar(text(
            f"SELECT count(*) FROM (SELECT {key} FROM {table} GROUP BY {key} "
            "HAVING count(*) > 1) AS twice")) or 0


def test_market_runs_are_done_once_while_workers_are_killed(
        database_url: str, engine: Engine, data_dir: Path, tmp_path: Path) -> None:
    env = JobEnvironment(session_factory=make_session_factory(engine), parameters=PARAMETERS,
                         data_dir=data_dir, clock=FixedClock(AFTER_THE_DAYS))
    load_market_days(env, DAYS)
    jobs = [job for day in DAYS for job in market_day_jobs(day, PARAMETERS)]
    assert PostgresQueue(database_url).submit(jobs) == jobs

    chance = random.Random(KILLS)
    killed_in_transaction = 0
    began = time.monotonic()
    supervisor = Supervisor(database_url, data_dir, tmp_path)
    try:
        for _ in range(KILLS):
            time.sleep(chance.uniform(*PAUSE_BETWEEN_KILLS))
            busy = wait_for(lambda: _busy_workers(engine, supervisor),
                            timeout=60, what="a worker in the middle of a job")
            victim = chance.choice(busy)
            time.sleep(chance.uniform(0, LONGEST_KILL_DELAY))
            killed_in_transaction += victim in writing_to(engine, "job_record")
            supervisor.kill_and_replace(victim)
        wait_for(lambda: _queue_left(engine) == 0,
                 timeout=FAULT_PHASE_SECONDS - (time.monotonic() - began),
                 what="the workers to finish every job")
    finally:
        supervisor.stop()
    elapsed = time.monotonic() - began
    print(f"\n{KILLS} workers killed ({killed_in_transaction} in a job's transaction), "
          f"{len(jobs)} jobs done in {elapsed:.0f} s")

    assert killed_in_transaction > 0
    with unit_of_work(env.session_factory) as session:
        recorded = session.scalars(select(JobRecord)).all()
        records = {(r.kind, r.key): (r.status, r.attempts) for r in recorded}
        failures = [f"{r.kind} {r.key}: {r.detail}" for r in recorded
                    if r.status is not JobStatus.DONE]
        runs = session.execute(select(MarketRun.trade_date, MarketRun.market, MarketRun.status,
                                      func.count()).group_by(
            MarketRun.trade_date, MarketRun.market, MarketRun.status)).all()
    assert records == {(job.kind.value, job.key): (JobStatus.DONE, 1) for job in jobs}, failures
    assert sorted(runs) == [(day, market, RunStatus.COMPLETED, 1) for day in DAYS
                            for market in sorted(MarketKind)]
    queue = PostgresQueue(database_url).app
    with queue.open():
        statuses = [job.status for job in queue.job_manager.list_jobs()]
    assert statuses == ["succeeded"] * len(jobs)
    for table, key in PUBLISHED_KEYS.items():
        assert _duplicates(engine, table, key) == 0, f"{table} has rows published twice"
