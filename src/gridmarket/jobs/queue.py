"""Where jobs go: a PostgreSQL job queue (procrastinate), or straight to work on SQLite.

On PostgreSQL, jobs are rows of procrastinate's tables in the market's own
database (no other broker), taken by ``gridmarket worker`` processes, one
queue per group of kinds (:data:`~gridmarket.jobs.catalog.QUEUES`). A job
carries two locks: its ``queueing_lock`` keeps a second copy out of the queue
while one waits, and its ``lock`` runs the jobs of one queue and day one
after the other. A job that lost its database connection is tried again
later; a refused one is not (its refusal is recorded, see
:mod:`gridmarket.jobs.perform`); one whose worker died is put back in the
queue by the workers (:mod:`gridmarket.jobs.stalled`).

On SQLite (the zero-setup default) there are no worker processes: the
scheduler performs each due job itself, in process, one after the other.

Example::

    queue = job_queue(settings.database_url, environment)
    queue.submit([Job(JobKind.CREDIT_DAILY, date(2020, 7, 15))])
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence
from typing import Protocol

from procrastinate import App, JobContext, PsycopgConnector, RetryStrategy
from procrastinate.app import WorkerOptions
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError

from gridmarket.jobs.catalog import Job
from gridmarket.jobs.perform import perform
from gridmarket.jobs.stalled import check_interval, keep_retrying_stalled_jobs, retry_stalled_jobs
from gridmarket.jobs.work import JobEnvironment

logger = logging.getLogger(__name__)

ENVIRONMENT = "gridmarket"
"""The worker's :class:`JobEnvironment`, in each job's context under this name."""
TASK = "gridmarket.perform_job"
CONNECTION_RETRIES = RetryStrategy(max_attempts=5, exponential_wait=4,
                                   retry_exceptions=[OperationalError, InterfaceError])
"""A job whose database went away (restart, fail-over) is tried again after 16 s, 64 s …"""

def perform_job(context: JobContext, kind: str, day: str, part: str = "") -> str:
    """The one queued task: perform the job its arguments name."""
    environment: JobEnvironment = context.additional_context[ENVIRONMENT]
    return perform(Job.from_arguments(kind, day, part), environment).detail


class JobQueue(Protocol):
    def submit(self, jobs: Sequence[Job]) -> list[Job]:
        """Queue (or do) ``jobs``; return those taken, leaving out copies already queued."""
        ...

    def in_progress(self) -> set[str]:
        """The queueing locks of jobs being worked on right now."""
        ...


def libpq_url(database_url: str) -> str:
    """The SQLAlchemy URL as a libpq connection string (no driver name).

    Example::

        >>> libpq_url("postgresql+psycopg://market@db.example:5432/gridmarket")
        'postgresql://market@db.example:5432/gridmarket'
    """
    return make_url(database_url).set(drivername="postgresql").render_as_string(
        hide_password=False)


def queue_app(database_url: str) -> App:
    """A procrastinate app on the market's PostgreSQL database, with the job task."""
    app = App(connector=PsycopgConnector(conninfo=libpq_url(database_url)))
    app.task(name=TASK, pass_context=True, retry=CONNECTION_RETRIES)(perform_job)
    return app


class PostgresQueue:
    """Jobs as rows of the procrastinate queue, for ``gridmarket worker`` processes."""

    def __init__(self, database_url: str) -> None:
        self.app = queue_app(database_url)

    def submit(self, jobs: Sequence[Job]) -> list[Job]:
        taken = []
        with self.app.open():
            for job in jobs:
                deferrer = self.app.configure_task(TASK, queue=job.queue, lock=job.lock,
                                                   queueing_lock=job.queueing_lock)
                try:
                    deferrer.defer(**job.arguments())
                except AlreadyEnqueued:
                    continue
                taken.append(job)
        return taken

    def in_progress(self) -> set[str]:
        with self.app.open():
            doing = self.app.job_manager.list_jobs(status="doing")
        return {job.queueing_lock for job in doing if job.queueing_lock}

    def run_worker(self, environment: JobEnvironment, *, stall_seconds: float,
                   queues: Iterable[str] | None = None, concurrency: int = 1,
                   wait: bool = True, name: str | None = None) -> None:
        """Work on ``queues`` (all when None) until stopped, or until none is left
        (``wait=False``). ``concurrency`` jobs run at once, each in a thread of its own.

        Alongside, the worker sends its heartbeat and puts back in the queue the jobs of
        any worker silent for ``stall_seconds`` (:mod:`gridmarket.jobs.stalled`).
        """
        asyncio.run(self._work(environment, stall_seconds=stall_seconds, queues=queues,
                               concurrency=concurrency, wait=wait, name=name))

    async def _work(self, environment: JobEnvironment, *, stall_seconds: float,
                    queues: Iterable[str] | None, concurrency: int, wait: bool,
                    name: str | None) -> None:
        options: WorkerOptions = {
            "concurrency": concurrency, "wait": wait, "install_signal_handlers": wait,
            "additional_context": {ENVIRONMENT: environment},
            "update_heartbeat_interval": check_interval(stall_seconds),
            "stalled_worker_timeout": stall_seconds}
        if queues:
            options["queues"] = list(queues)
        if name:
            options["name"] = name
        async with self.app.open_async():
            await retry_stalled_jobs(self.app, stall_seconds)
            recovery = asyncio.create_task(keep_retrying_stalled_jobs(self.app, stall_seconds))
            try:
                await self.app.run_worker_async(**options)
            finally:
                recovery.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await recovery


class InlineQueue:
    """No queue: each job is performed at once, in this process (SQLite)."""

    def __init__(self, environment: JobEnvironment) -> None:
        self.environment = environment

    def submit(self, jobs: Sequence[Job]) -> list[Job]:
        for job in jobs:
            try:
                perform(job, self.environment)
            except Exception:
                # Recorded as FAILED with its reason (or the database is away); go on.
                logger.exception("job %s failed", job)
        return list(jobs)

    def in_progress(self) -> set[str]:
        return set()


def is_queued_database(database_url: str) -> bool:
    """Whether jobs go through the PostgreSQL queue (else they run inline).

    Example::

        >>> is_queued_database("sqlite:///var/gridmarket.sqlite")
        False
    """
    return make_url(database_url).get_backend_name() == "postgresql"


def job_queue(database_url: str, environment: JobEnvironment) -> JobQueue:
    """The queue for the configured database: procrastinate on PostgreSQL, inline otherwise."""
    if is_queued_database(database_url):
        return PostgresQueue(database_url)
    return InlineQueue(environment)
