"""Jobs of a dead worker: noticed by its silent heartbeat, put back in the queue.

A worker killed outright (``kill -9``, out of memory, power loss) leaves the
job it was running in procrastinate's ``doing`` state, holding its day's lock
(:attr:`~gridmarket.jobs.catalog.Job.lock`), so without help neither that job
nor the next ones of its day would ever run. Every worker records a heartbeat
in the queue tables several times per stall time; every worker also looks,
as often, for jobs whose worker has been silent for longer than the stall
time (``GRIDMARKET_JOB_STALL_SECONDS``) and puts them back in the queue, in
their place (a retried job keeps its id, so it still runs before the jobs of
its day queued after it).

Running such a job again is safe: its work and its ``job_record`` commit
together (:mod:`gridmarket.jobs.perform`). Killed after the commit, the job
finds its record and does nothing; killed before, its transaction died with
its connection and left nothing, so the job is done from the start.

Example::

    retried = await retry_stalled_jobs(app, stall_seconds=60)
"""

from __future__ import annotations

import asyncio
import logging

from procrastinate import App
from procrastinate.exceptions import ConnectorException, UniqueViolation
from procrastinate.jobs import Job as QueuedJob
from procrastinate.jobs import Status

logger = logging.getLogger(__name__)

CHECKS_PER_STALL = 6
"""Heartbeats (and looks for stalled jobs) per stall time: a live worker misses several
in a row before it could be taken for dead."""


def check_interval(stall_seconds: float) -> float:
    """Seconds between a worker's heartbeats, and between its looks for stalled jobs.

    Example::

        >>> check_interval(60.0)
        10.0
    """
    return stall_seconds / CHECKS_PER_STALL


async def _put_back(app: App, job: QueuedJob) -> bool:
    """Queue ``job`` again; False if another worker did first."""
    try:
        try:
            await app.job_manager.retry_job(job)
        except UniqueViolation:
            # A copy queued by hand waits already (its queueing lock): that copy does the
            # job, and this one ends, releasing its day's lock.
            await app.job_manager.finish_job(job, Status.FAILED, delete_job=False)
            logger.warning("stalled job %s ended: a copy of it is waiting in the queue",
                           job.call_string)
            return False
    except ConnectorException:
        return False  # No longer "doing": another worker put it back, or ended it.
    return True


async def retry_stalled_jobs(app: App, stall_seconds: float) -> list[QueuedJob]:
    """Put back every job whose worker has sent no heartbeat for ``stall_seconds``."""
    stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stall_seconds)
    retried = [job for job in stalled if await _put_back(app, job)]
    for job in retried:
        logger.warning("%s put back in the queue: its worker stopped (no heartbeat for %s s)",
                       job.call_string, stall_seconds)
    return retried


async def keep_retrying_stalled_jobs(app: App, stall_seconds: float) -> None:
    """Retry stalled jobs every :func:`check_interval`, until cancelled."""
    while True:
        await asyncio.sleep(check_interval(stall_seconds))
        try:
            await retry_stalled_jobs(app, stall_seconds)
        except Exception:
            # The database is restarting or failing over: look again next time.
            logger.exception("looking for stalled jobs failed")
