"""Perform one job exactly once: claim its key, do the work, record it, in one transaction.

The job first claims its natural key in ``job_record`` (the row is new, or a
FAILED one taken over), then does its work, then marks the row DONE; all of
it commits together. A second copy of the job (retried, queued twice, or
started by a second worker at the same moment) either finds the DONE row and
does nothing, or waits on the first copy's uncommitted claim and then finds
it. The whole transaction is run again after a serialization failure or a
deadlock (:mod:`gridmarket.db.retry`).

A job the service refuses (a :class:`~gridmarket.errors.DomainError`: the
market is not closed yet, meter data is missing …) or that breaks changes
nothing; it is recorded as FAILED with the reason, in a transaction of its
own, and the error is raised for the queue to show. Only a lost database
connection is left unrecorded, for the queue to try again.

Example::

    outcome = perform(Job(JobKind.CREDIT_DAILY, date(2020, 7, 15)), environment)
    outcome.skipped   # True when it had been done already
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from gridmarket.db.retry import run_in_transaction
from gridmarket.errors import DomainError
from gridmarket.jobs.catalog import Job
from gridmarket.jobs.models import JobRecord, JobStatus
from gridmarket.jobs.work import JobEnvironment, do_job

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobOutcome:
    job: Job
    skipped: bool
    """The job had been done already; nothing was done this time."""
    detail: str


def _find(session: Session, job: Job) -> JobRecord | None:
    return session.scalar(select(JobRecord).where(
        JobRecord.kind == job.kind.value, JobRecord.key == job.key).with_for_update())


def _claim(session: Session, job: Job, env: JobEnvironment) -> JobRecord | None:
    """The job's record, held for this transaction; None if the job is done already."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" \
        else sqlite.insert
    # If another copy holds the key uncommitted, this waits for it, then inserts nothing.
    session.execute(insert(JobRecord).values(
        kind=job.kind.value, key=job.key, status=JobStatus.RUNNING, detail="", attempts=1,
        finished_at=env.clock.now()).on_conflict_do_nothing(index_elements=["kind", "key"]))
    record = _find(session, job)
    assert record is not None
    if record.status is JobStatus.DONE:
        return None
    if record.status is JobStatus.FAILED:
        record.attempts += 1
        record.status = JobStatus.RUNNING
    return record


def _attempt(session: Session, job: Job, env: JobEnvironment) -> JobOutcome:
    record = _claim(session, job, env)
    if record is None:
        done = _find(session, job)
        return JobOutcome(job, skipped=True, detail=done.detail if done else "")
    detail = do_job(session, job, env)
    record.status, record.detail, record.finished_at = JobStatus.DONE, detail, env.clock.now()
    return JobOutcome(job, skipped=False, detail=detail)


def _record_failure(session: Session, job: Job, reason: str, env: JobEnvironment) -> None:
    record = _find(session, job)
    if record is None:
        session.add(JobRecord(kind=job.kind.value, key=job.key, status=JobStatus.FAILED,
                              detail=reason, attempts=1, finished_at=env.clock.now()))
    elif record.status is not JobStatus.DONE:
        # The failed attempt's own count rolled back with its work.
        record.attempts += 1
        record.status, record.detail, record.finished_at = (JobStatus.FAILED, reason,
                                                            env.clock.now())


def perform(job: Job, env: JobEnvironment) -> JobOutcome:
    """Do ``job`` unless it is done already; record DONE, or FAILED with the reason."""
    try:
        outcome = run_in_transaction(env.session_factory, lambda s: _attempt(s, job, env))
    except (OperationalError, InterfaceError):
        raise  # The database went away: nothing to record; the queue tries again later.
    except Exception as error:
        # Refused, or broken: recorded so that the scheduler does not queue it every tick.
        reason = str(error) if isinstance(error, DomainError) else \
            f"{type(error).__name__}: {error}"
        logger.warning("job %s failed: %s", job, reason)
        run_in_transaction(env.session_factory, lambda s: _record_failure(s, job, reason, env))
        raise
    logger.info("job %s %s: %s", job, "already done" if outcome.skipped else "done",
                outcome.detail)
    return outcome
