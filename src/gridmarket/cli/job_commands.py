"""`gridmarket worker`, `gridmarket scheduler` and `gridmarket jobs ...`: background jobs.

Example::

    gridmarket worker --queues market --concurrency 1
    gridmarket worker --queues settlement,credit,obligations --concurrency 2
    gridmarket scheduler                 # a tick every minute
    gridmarket jobs list
    gridmarket jobs queue settlement_statement 2020-07-15 initial
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from gridmarket.cli.database import errors, transaction
from gridmarket.clock import Clock, FixedClock, SystemClock
from gridmarket.config import Settings, get_settings
from gridmarket.db.engine import make_engine, make_session_factory
from gridmarket.jobs.catalog import QUEUES, Job, JobKind
from gridmarket.jobs.models import JobRecord
from gridmarket.jobs.queue import PostgresQueue, is_queued_database, job_queue
from gridmarket.jobs.schedule import tick
from gridmarket.jobs.work import JobEnvironment

jobs_app = typer.Typer(help="Background jobs: what ran, and queueing one by hand.",
                       no_args_is_help=True)
console = Console()
logger = logging.getLogger("gridmarket.scheduler")


def _clock(settings: Settings) -> Clock:
    return FixedClock(settings.fixed_clock) if settings.fixed_clock else SystemClock()


@contextmanager
def job_environment(settings: Settings, connections: int = 1) -> Iterator[JobEnvironment]:
    """The environment jobs run in, on the configured database; closed afterwards."""
    options = settings.pool_options()
    if "pool_size" in options:
        options["pool_size"] = max(options["pool_size"], connections)
    engine = make_engine(settings.database_url, **options)
    try:
        yield JobEnvironment(session_factory=make_session_factory(engine),
                             parameters=settings.market_parameters(),
                             data_dir=settings.data_dir, clock=_clock(settings))
    finally:
        engine.dispose()


def _queues(value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = sorted(set(names) - set(QUEUES))
    if unknown or not names:
        errors.print(f"[bold red]error:[/bold red] unknown queue(s) {', '.join(unknown) or '-'};"
                     f" the queues are {', '.join(QUEUES)}")
        raise typer.Exit(code=2)
    return names


def worker(
    queues: str = typer.Option(None, "--queues",
                               help=f"Comma-separated queues to work on ({', '.join(QUEUES)}); "
                                    "default: all."),
    concurrency: int = typer.Option(1, "--concurrency", min=1,
                                    help="Jobs worked on at once, each in its own thread."),
    name: str = typer.Option(None, "--name", help="Worker name in logs and the queue tables."),
    until_empty: bool = typer.Option(False, "--until-empty",
                                     help="Stop once no job is waiting (e.g. from cron)."),
) -> None:
    """Work on queued jobs until stopped (SIGINT/SIGTERM let the running jobs finish).

    Jobs of a worker that died (no heartbeat for GRIDMARKET_JOB_STALL_SECONDS) are put
    back in the queue.
    """
    settings = get_settings()
    if not is_queued_database(settings.database_url):
        errors.print("[bold red]error:[/bold red] workers need PostgreSQL "
                     "(GRIDMARKET_DATABASE_URL=postgresql+psycopg://...); on SQLite "
                     "`gridmarket scheduler` does every job itself")
        raise typer.Exit(code=2)
    chosen = _queues(queues)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with job_environment(settings, connections=concurrency) as environment:
        PostgresQueue(settings.database_url).run_worker(
            environment, stall_seconds=settings.job_stall_seconds, queues=chosen,
            concurrency=concurrency, name=name, wait=not until_empty)


def scheduler(
    once: bool = typer.Option(False, "--once", help="One tick, then exit."),
    every: float = typer.Option(60.0, "--every", min=1.0, help="Seconds between ticks."),
) -> None:
    """Queue every job whose deadline has passed and that is not done (on SQLite: do it)."""
    settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with job_environment(settings) as environment:
        queue = job_queue(settings.database_url, environment)
        while True:
            began = time.monotonic()
            try:
                taken = tick(environment.session_factory, queue, environment.clock.now(),
                             environment.parameters, catch_up_days=settings.job_catch_up_days)
                for job in taken:
                    logger.info("queued %s", job)
            except Exception:
                if once:
                    raise
                # The database may be restarting: the next tick tries again.
                logger.exception("scheduler tick failed")
            if once:
                return
            time.sleep(max(0.0, every - (time.monotonic() - began)))


@jobs_app.command("list")
def list_jobs(limit: int = typer.Option(30, help="How many of the latest records.")) -> None:
    """The latest job records: kind, key, status, attempts, what was done or why it failed."""
    table = Table("kind", "key", "status", "attempts", "finished (UTC)", "detail")
    with transaction() as session:
        for record in session.scalars(select(JobRecord).order_by(JobRecord.finished_at.desc(),
                                                                  JobRecord.id.desc())
                                      .limit(limit)):
            table.add_row(record.kind, record.key, record.status.value, str(record.attempts),
                          record.finished_at.strftime("%Y-%m-%d %H:%M"), record.detail)
    console.print(table)


@jobs_app.command("queue")
def queue_job(
    kind: JobKind = typer.Argument(..., help="The kind of job."),
    day: str = typer.Argument(..., help="Trade date, invoice date or day (YYYY-MM-DD)."),
    part: str = typer.Argument("", help="Hour ending (rt_hour_close), FMM/RTD (rt_run) or "
                                        "statement kind (settlement_statement)."),
) -> None:
    """Queue one job by hand, e.g. again after fixing what made it fail (on SQLite: do it now)."""
    try:
        job = Job(kind, date.fromisoformat(day), part)
    except ValueError as error:
        errors.print(f"[bold red]error:[/bold red] {error}")
        raise typer.Exit(code=2) from error
    settings = get_settings()
    with job_environment(settings) as environment:
        taken = job_queue(settings.database_url, environment).submit([job])
    with transaction() as session:
        record = session.scalar(select(JobRecord).where(JobRecord.kind == job.kind.value,
                                                        JobRecord.key == job.key))
        done = f" ({record.status.value}: {record.detail})" if record is not None else ""
    console.print(f"{job}: " + ("taken" if taken else "already waiting in the queue") + done)
