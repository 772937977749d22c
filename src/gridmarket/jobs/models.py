"""The record of every scheduled job done: what ran, for which natural key, and how it ended.

A job's natural key (its kind and e.g. ``2020-07-15``, ``2020-11-01 HE02``,
``2020-07-15 initial``) is unique: the record is written in the same
transaction as the job's work, so a job retried or queued twice finds its
record and does nothing the second time, and two copies running at once
cannot both commit.

Example::

    session.scalars(select(JobRecord).where(JobRecord.kind == "settlement_statement"))
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridmarket.db.base import Base, UtcDateTime


class JobStatus(enum.StrEnum):
    RUNNING = "RUNNING"
    """Only ever seen inside the job's own transaction: it claims the key."""
    DONE = "DONE"
    FAILED = "FAILED"
    """Refused by the service (the reason is kept); not scheduled again until re-queued."""


class JobRecord(Base):
    __tablename__ = "job_record"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(64))
    status: Mapped[JobStatus] = mapped_column(Enum(JobStatus, native_enum=False, length=8))
    detail: Mapped[str] = mapped_column(Text, default="")
    """What the job did (a summary), or why it failed."""
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime())
