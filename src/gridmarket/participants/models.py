"""Tables of the participants area: scheduling coordinators and their SCIDs."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridmarket.access.models import Organisation
from gridmarket.db.base import Base, UtcDateTime, utc_now


class ScStatus(enum.StrEnum):
    APPLIED = "APPLIED"
    UNDER_REVIEW = "UNDER_REVIEW"
    INCOMPLETE = "INCOMPLETE"
    ACCEPTED = "ACCEPTED"
    IN_CERTIFICATION = "IN_CERTIFICATION"
    CERTIFIED = "CERTIFIED"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"
    WITHDRAWN = "WITHDRAWN"
    LAPSED = "LAPSED"


class SchedulingCoordinator(Base):
    """An organisation's standing as a scheduling coordinator."""

    __tablename__ = "scheduling_coordinator"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), unique=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[ScStatus] = mapped_column(Enum(ScStatus, native_enum=False, length=20))
    certified_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)

    organisation: Mapped[Organisation] = relationship()
    scids: Mapped[list[Scid]] = relationship(back_populates="scheduling_coordinator")


class Scid(Base):
    """A scheduling coordinator ID: 4 characters, first a letter, upper-case alphanumeric."""

    __tablename__ = "scid"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    scheduling_coordinator_id: Mapped[int] = mapped_column(
        ForeignKey("scheduling_coordinator.id")
    )
    granted_on: Mapped[date] = mapped_column(Date)

    scheduling_coordinator: Mapped[SchedulingCoordinator] = relationship(back_populates="scids")
