"""Tables of the markets area: versioned market parameters and forecasts."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridmarket.db.base import Base, UtcDateTime, utc_now


class MarketParameterSet(Base):
    """An immutable set of market parameters, identified by its fingerprint."""

    __tablename__ = "market_parameter_set"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    body_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class ForecastHorizon(enum.StrEnum):
    DAY_AHEAD = "DAY_AHEAD"
    REAL_TIME = "REAL_TIME"


class ForecastKind(enum.StrEnum):
    AREA_LOAD = "AREA_LOAD"
    RESOURCE_PMAX = "RESOURCE_PMAX"
    RESERVE_REQUIREMENT = "RESERVE_REQUIREMENT"


class ForecastValue(Base):
    """One forecast value (MW) for one object over one interval."""

    __tablename__ = "forecast_value"
    __table_args__ = (
        UniqueConstraint("network_model_id", "horizon", "kind", "object_id", "interval_start_utc"),
        Index("ix_forecast_value_lookup", "network_model_id", "horizon", "interval_start_utc"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network_model_id: Mapped[int] = mapped_column(ForeignKey("network_model.id"))
    horizon: Mapped[ForecastHorizon] = mapped_column(
        Enum(ForecastHorizon, native_enum=False, length=12)
    )
    kind: Mapped[ForecastKind] = mapped_column(Enum(ForecastKind, native_enum=False, length=24))
    object_id: Mapped[str] = mapped_column(String(64))
    interval_start_utc: Mapped[datetime] = mapped_column(UtcDateTime())
    interval_minutes: Mapped[int] = mapped_column(Integer)
    value_mw: Mapped[float] = mapped_column(Float)
