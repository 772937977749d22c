"""Tables of the network model: one row per imported model, its branches and HVDC links."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridmarket.db.base import Base, Quantity, UtcDateTime, utc_now


class NetworkModel(Base):
    """An imported network model; market runs record which version they used."""

    __tablename__ = "network_model"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    base_mva: Mapped[float] = mapped_column(Float, default=100.0)
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class Branch(Base):
    """An AC line or transformer, impedances in per unit on the model's base."""

    __tablename__ = "branch"
    __table_args__ = (UniqueConstraint("network_model_id", "uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_model_id: Mapped[int] = mapped_column(ForeignKey("network_model.id"))
    uid: Mapped[str] = mapped_column(String(32))
    from_bus: Mapped[int] = mapped_column(Integer)
    to_bus: Mapped[int] = mapped_column(Integer)
    resistance_pu: Mapped[float] = mapped_column(Float)
    reactance_pu: Mapped[float] = mapped_column(Float)
    susceptance_pu: Mapped[float] = mapped_column(Float)
    continuous_rating_mw: Mapped[Decimal] = mapped_column(Quantity())
    long_term_emergency_rating_mw: Mapped[Decimal] = mapped_column(Quantity())
    short_term_emergency_rating_mw: Mapped[Decimal] = mapped_column(Quantity())
    is_transformer: Mapped[bool] = mapped_column(Boolean)


class DcLine(Base):
    """A controllable HVDC link between two buses."""

    __tablename__ = "dc_line"
    __table_args__ = (UniqueConstraint("network_model_id", "uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_model_id: Mapped[int] = mapped_column(ForeignKey("network_model.id"))
    uid: Mapped[str] = mapped_column(String(32))
    from_bus: Mapped[int] = mapped_column(Integer)
    to_bus: Mapped[int] = mapped_column(Integer)
    max_flow_mw: Mapped[Decimal] = mapped_column(Quantity())
