"""Tables of the metering area (rulebook §9).

* ``meter_data_submission``: one batch of meter data for one SCID and trade
  date — an SC's SQMD submission (API JSON or CSV file), the ISO's own
  collection of ISO-metered data, or the ISO's estimates at a deadline. Each
  gets the next ``version`` of its (SCID, trade date), counts of accepted and
  rejected records, the rejected records with their row numbers and reasons,
  and the deadline (initial or final statement) it counts for.
* ``meter_value``: one 5-minute value (MWh) of one resource. Every version is
  kept; storing a newer value for a (resource, interval) marks the older one
  ``superseded``. A partial unique index makes sure exactly one value per
  (resource, interval) is current: the one settlement reads.

Example::

    current = select(MeterValue).where(MeterValue.superseded.is_(False))
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from gridmarket.db.base import Base, Quantity, UtcDateTime


class MeterSource(enum.StrEnum):
    SC = "SC"
    """Settlement-quality meter data submitted by the SC (SC-metered resources)."""
    ISO = "ISO"
    """Revenue meter data the ISO collected itself (ISO-metered resources)."""
    ESTIMATED = "ESTIMATED"
    """The ISO's estimate of a value missing at a deadline."""


class Measurement(enum.StrEnum):
    GEN = "GEN"
    """Energy delivered to the grid."""
    LOAD = "LOAD"
    """Energy taken from the grid."""


class MeterDeadline(enum.StrEnum):
    """Which statement the data counts for (rulebook §9)."""

    INITIAL = "INITIAL"
    """Received by T+5B: used by the initial statement."""
    FINAL = "FINAL"
    """Received after T+5B and by T+52B: used by the recalculation statement."""


class MeterDataSubmission(Base):
    __tablename__ = "meter_data_submission"
    __table_args__ = (UniqueConstraint("scid_id", "trade_date", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scid_id: Mapped[int] = mapped_column(ForeignKey("scid.id"), index=True)
    trade_date: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    """1, 2, ... per (SCID, trade date), whatever the source."""
    source: Mapped[MeterSource] = mapped_column(Enum(MeterSource, native_enum=False, length=12))
    source_format: Mapped[str] = mapped_column(String(12))
    """``json``, ``csv``, ``iso`` (ISO collection) or ``estimate``."""
    deadline: Mapped[MeterDeadline] = mapped_column(
        Enum(MeterDeadline, native_enum=False, length=8)
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    """Who submitted; None for the ISO's collection and estimates."""
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    records_accepted: Mapped[int] = mapped_column(Integer)
    records_rejected: Mapped[int] = mapped_column(Integer)
    values_stored: Mapped[int] = mapped_column(Integer)
    """5-minute values written (a 60-minute record gives 12)."""
    rejections_json: Mapped[str] = mapped_column(Text, default="[]")
    """``[{"row": 3, "resource_id": "...", "reason": "..."}, ...]``."""


class MeterValue(Base):
    __tablename__ = "meter_value"
    __table_args__ = (
        Index(
            "uq_meter_value_current",
            "resource_id",
            "interval_start_utc",
            unique=True,
            sqlite_where=text("NOT superseded"),
            postgresql_where=text("NOT superseded"),
        ),
        Index("ix_meter_value_scid_interval", "scid", "interval_start_utc"),
        Index("ix_meter_value_interval", "interval_start_utc"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("meter_data_submission.id"), index=True
    )
    resource_id: Mapped[str] = mapped_column(String(64))
    scid: Mapped[str] = mapped_column(String(8))
    """The SCID representing the resource in this interval."""
    interval_start_utc: Mapped[datetime] = mapped_column(UtcDateTime())
    """Start of the 5-minute interval."""
    mwh: Mapped[Decimal] = mapped_column(Quantity())
    measurement: Mapped[Measurement] = mapped_column(
        Enum(Measurement, native_enum=False, length=4)
    )
    source: Mapped[MeterSource] = mapped_column(Enum(MeterSource, native_enum=False, length=12))
    source_row: Mapped[int | None] = mapped_column(Integer)
    """Row (record number) of the submission this value came from."""
    superseded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """A newer value of the same resource and interval exists."""
