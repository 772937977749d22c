"""Run a unit of work again when PostgreSQL aborts it for a concurrency conflict.

PostgreSQL may abort a transaction that ran into another one: a serialization
failure (SQLSTATE 40001, under REPEATABLE READ or SERIALIZABLE, or a row
changed under ``FOR UPDATE`` in those levels) or a deadlock (40P01, one of
two transactions locking the same rows in opposite orders is chosen as the
victim). Nothing of the aborted transaction was written, so running the whole
unit of work again from the start is safe and usually succeeds. Any other
error is raised at once: retrying a refused or broken request changes nothing.

Example::

    total = run_in_transaction(factory, lambda session: post_payment(session, ...))
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from gridmarket.db.engine import unit_of_work

T = TypeVar("T")

CONFLICT_SQLSTATES = frozenset({"40001", "40P01"})
"""serialization_failure, deadlock_detected."""
ATTEMPTS = 5
FIRST_PAUSE_SECONDS = 0.05
"""Pause before the second attempt; doubled each time, with jitter so the
transactions that collided do not collide again in step."""

logger = logging.getLogger(__name__)


def is_concurrency_conflict(error: BaseException) -> bool:
    """Whether ``error`` is a serialization failure or a deadlock, which a retry may clear.

    Example::

        >>> is_concurrency_conflict(ValueError("no"))
        False
    """
    if not isinstance(error, DBAPIError):
        return False
    return getattr(error.orig, "sqlstate", None) in CONFLICT_SQLSTATES


def retry_conflicts(
    attempt: Callable[[], T], *, attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``attempt`` (one whole transaction, rolled back on error) until it is not
    aborted by a concurrency conflict; after ``attempts`` conflicts the last one is raised.
    """
    for number in range(1, attempts + 1):
        try:
            return attempt()
        except DBAPIError as error:
            if number == attempts or not is_concurrency_conflict(error):
                raise
            pause = FIRST_PAUSE_SECONDS * 2 ** (number - 1) * (0.5 + random.random())
            logger.warning("transaction aborted by a concurrency conflict (%s); attempt %d "
                           "of %d in %.3f s", getattr(error.orig, "sqlstate", "?"),
                           number + 1, attempts, pause)
            sleep(pause)
    raise AssertionError("unreachable: the last attempt returns or raises")


def run_in_transaction(
    factory: sessionmaker[Session],
    work: Callable[[Session], T],
    *,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``work`` in one unit of work, again from the start after a concurrency conflict.

    ``work`` gets a fresh session each attempt, so it must not keep objects
    from a failed attempt.
    """

    def attempt() -> T:
        with unit_of_work(factory) as session:
            return work(session)

    return retry_conflicts(attempt, attempts=attempts, sleep=sleep)
