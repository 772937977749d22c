"""Helpers for tests that kill job workers: market days to run, and real `gridmarket worker`
processes, told apart in PostgreSQL by their connections' ``application_name``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url
from tests.markets.market_helpers import small_market

from gridmarket.calendar import MarketCalendar
from gridmarket.config import MarketParameters
from gridmarket.db.engine import unit_of_work
from gridmarket.jobs.catalog import REAL_TIME_MARKETS, Job, JobKind
from gridmarket.jobs.work import JobEnvironment
from gridmarket.markets.forecasts import load_rts_gmlc_forecasts
from gridmarket.network.models import NetworkModel
from gridmarket.resources.rts_import import import_rts_gmlc

GRIDMARKET = Path(sys.executable).with_name("gridmarket")
T = TypeVar("T")


def load_market_days(env: JobEnvironment, days: Iterable[date]) -> None:
    """The RTS-GMLC Master File, and for each day its forecasts and the small market's bids."""
    calendar = MarketCalendar(env.parameters)
    with unit_of_work(env.session_factory) as session:
        import_rts_gmlc(session, env.data_dir / "rts-gmlc", env.parameters)
        model = session.scalars(select(NetworkModel)).one()
        for day in days:
            load_rts_gmlc_forecasts(session, model, env.data_dir / "rts-gmlc", day, calendar)
            small_market(session, range(1, calendar.hours_in_day(day) + 1), day)


def market_day_jobs(day: date, parameters: MarketParameters) -> list[Job]:
    """The jobs of a market day in the order the scheduler queues them: the DAM, each
    real-time hour's close, then FMM and RTD."""
    hours = MarketCalendar(parameters).hours_in_day(day)
    return [Job(JobKind.DAM_CLOSE_AND_RUN, day),
            *(Job(JobKind.RT_HOUR_CLOSE, day, str(hour)) for hour in range(1, hours + 1)),
            *(Job(JobKind.RT_RUN, day, market) for market in REAL_TIME_MARKETS)]


def start_worker(database_url: str, name: str, *, data_dir: Path, clock: datetime,
                 stall_seconds: float, log_dir: Path) -> subprocess.Popen[bytes]:
    """A `gridmarket worker` on the market queue, its connections named ``name``."""
    url = make_url(database_url).update_query_dict({"application_name": name})
    env = {**os.environ,
           "GRIDMARKET_DATABASE_URL": url.render_as_string(hide_password=False),
           "GRIDMARKET_DATA_DIR": str(data_dir),
           "GRIDMARKET_FIXED_CLOCK": clock.isoformat(),
           "GRIDMARKET_JOB_STALL_SECONDS": str(stall_seconds),
           "GRIDMARKET_DATABASE_POOL_SIZE": "2"}
    with (log_dir / f"{name}.log").open("wb") as log:
        return subprocess.Popen([str(GRIDMARKET), "worker", "--queues", "market", "--name", name],
                                env=env, stdout=log, stderr=subprocess.STDOUT)


def writing_to(engine: Engine, table: str) -> set[str]:
    """The names of the processes whose open transaction has written to ``table``."""
    with engine.connect() as connection:
        return set(connection.scalars(text(
            "SELECT DISTINCT a.application_name FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.relation = to_regclass(:table) AND l.mode = 'RowExclusiveLock'"),
            {"table": table}))


def wait_for(probe: Callable[[], T], *, timeout: float, what: str) -> T:
    """Poll ``probe`` until it gives something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (found := probe()):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.05)
    return found
