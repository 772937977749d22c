"""The kinds of background job, their natural keys and the queue each runs on.

A :class:`Job` is a kind, a day (a trade date, an invoice date or the day of
a daily job) and, for some kinds, a part of the day: the hour ending of a
real-time close, the real-time market (FMM, RTD), the statement kind
(``initial``, ``recalculation`` …). Kinds are grouped in queues so that each
group can have workers of its own (a long DAM run does not hold back
invoicing).

Example::

    >>> job = Job(JobKind.RT_HOUR_CLOSE, date(2020, 11, 1), "2")
    >>> job.key, job.queue
    ('2020-11-01 HE02', 'market')
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Any


class JobKind(enum.StrEnum):
    DAM_CLOSE_AND_RUN = "dam_close_and_run"
    """Close the DAM of a trade date (final validation, generated bids, trades), run IFM + RUC."""
    RT_HOUR_CLOSE = "rt_hour_close"
    """Close real-time bids and trades of one hour of a trade date."""
    RT_RUN = "rt_run"
    """Run FMM or RTD over a trade date, once every hour of it has closed."""
    SETTLEMENT_STATEMENT = "settlement_statement"
    """Estimate missing meter data if due, then issue one scheduled statement of a trade date."""
    INVOICE_RUN = "invoice_run"
    """The weekly invoices of an invoice date."""
    CREDIT_DAILY = "credit_daily"
    """Recompute every SC's EAL and credit, collateral calls, suspensions for unmet calls."""
    SC_OBLIGATIONS_DAILY = "sc_obligations_daily"
    """Officer certifications, suspension triggers, lapsed applications."""


QUEUE_OF: dict[JobKind, str] = {
    JobKind.DAM_CLOSE_AND_RUN: "market",
    JobKind.RT_HOUR_CLOSE: "market",
    JobKind.RT_RUN: "market",
    JobKind.SETTLEMENT_STATEMENT: "settlement",
    JobKind.INVOICE_RUN: "settlement",
    JobKind.CREDIT_DAILY: "credit",
    JobKind.SC_OBLIGATIONS_DAILY: "obligations",
}
QUEUES: tuple[str, ...] = tuple(dict.fromkeys(QUEUE_OF.values()))
REAL_TIME_MARKETS = ("FMM", "RTD")
MAX_HOURS_IN_DAY = 25
"""The fall daylight-saving day; the calendar says how many hours a given day has."""


@dataclass(frozen=True)
class Job:
    kind: JobKind
    day: date
    part: str = ""
    """The hour ending (RT close), market (RT run) or statement kind; empty otherwise."""

    def __post_init__(self) -> None:
        if self.kind is JobKind.RT_HOUR_CLOSE:
            if not self.part.isdigit() or not 1 <= int(self.part) <= MAX_HOURS_IN_DAY:
                raise ValueError(f"{self.kind.value} needs the hour ending (1 to "
                                 f"{MAX_HOURS_IN_DAY}), not {self.part!r}")
        elif self.kind is JobKind.RT_RUN:
            if self.part not in REAL_TIME_MARKETS:
                raise ValueError(f"{self.kind.value} needs the market "
                                 f"({' or '.join(REAL_TIME_MARKETS)}), not {self.part!r}")
        elif self.kind is JobKind.SETTLEMENT_STATEMENT:
            if not self.part:
                raise ValueError(f"{self.kind.value} needs the statement kind "
                                 "(initial, recalculation, ...)")
        elif self.part:
            raise ValueError(f"{self.kind.value} takes only a day, not {self.part!r}")

    @property
    def key(self) -> str:
        """The natural key within the kind: the day, and the part if any."""
        if not self.part:
            return self.day.isoformat()
        if self.kind is JobKind.RT_HOUR_CLOSE:
            return f"{self.day.isoformat()} HE{int(self.part):02d}"
        return f"{self.day.isoformat()} {self.part}"

    @property
    def queue(self) -> str:
        return QUEUE_OF[self.kind]

    @property
    def lock(self) -> str:
        """Jobs of one queue and day run one after the other, in the order queued.

        The close of an hour finishes before the day's real-time run starts; a
        recalculation never overtakes the initial statement.
        """
        return f"{self.queue}:{self.day.isoformat()}"

    @property
    def queueing_lock(self) -> str:
        """At most one copy of a job waits in the queue."""
        return f"{self.kind.value}:{self.key}"

    def arguments(self) -> dict[str, Any]:
        """The job as task arguments (JSON)."""
        return {"kind": self.kind.value, "day": self.day.isoformat(), "part": self.part}

    @classmethod
    def from_arguments(cls, kind: str, day: str, part: str = "") -> Job:
        return cls(JobKind(kind), date.fromisoformat(day), part)

    def __str__(self) -> str:
        return f"{self.kind.value} {self.key}"
