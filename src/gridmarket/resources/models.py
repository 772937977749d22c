"""Tables of the Master File: pricing nodes, aggregated nodes, resources, SC assignments."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridmarket.db.base import Base, Money, Quantity, UnitPrice, UtcDateTime, utc_now
from gridmarket.participants.models import Scid


class ResourceType(enum.StrEnum):
    GENERATOR = "GENERATOR"
    LOAD = "LOAD"
    IMPORT_TIE = "IMPORT_TIE"
    EXPORT_TIE = "EXPORT_TIE"
    STORAGE = "STORAGE"
    PARTICIPATING_LOAD = "PARTICIPATING_LOAD"


class MeteringType(enum.StrEnum):
    ISO_METERED = "ISO_METERED"
    SC_METERED = "SC_METERED"


class AggregatedNodeKind(enum.StrEnum):
    DLAP = "DLAP"
    TRADING_HUB = "TRADING_HUB"


class PricingNode(Base):
    """A pricing node (one per network bus), named in the ISO's style."""

    __tablename__ = "pricing_node"
    __table_args__ = (UniqueConstraint("network_model_id", "bus_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    network_model_id: Mapped[int] = mapped_column(ForeignKey("network_model.id"))
    bus_number: Mapped[int] = mapped_column(Integer)
    bus_name: Mapped[str] = mapped_column(String(64))
    area: Mapped[int] = mapped_column(Integer)
    base_kv: Mapped[float] = mapped_column(Float)
    load_share_mw: Mapped[Decimal] = mapped_column(Quantity())
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class AggregatedNode(Base):
    """A set of pricing nodes priced as their weighted average (e.g. a DLAP)."""

    __tablename__ = "aggregated_node"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[AggregatedNodeKind] = mapped_column(
        Enum(AggregatedNodeKind, native_enum=False, length=20)
    )
    area: Mapped[int | None] = mapped_column(Integer)

    members: Mapped[list[AggregatedNodeMember]] = relationship(cascade="all, delete-orphan")


class AggregatedNodeMember(Base):
    __tablename__ = "aggregated_node_member"
    __table_args__ = (UniqueConstraint("aggregated_node_id", "pricing_node_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    aggregated_node_id: Mapped[int] = mapped_column(ForeignKey("aggregated_node.id"))
    pricing_node_id: Mapped[int] = mapped_column(ForeignKey("pricing_node.id"))
    weight: Mapped[Decimal] = mapped_column(Quantity())

    pricing_node: Mapped[PricingNode] = relationship()


class Resource(Base):
    """A Master File resource with the attributes of rulebook §3."""

    __tablename__ = "resource"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    resource_type: Mapped[ResourceType] = mapped_column(
        Enum(ResourceType, native_enum=False, length=24)
    )
    category: Mapped[str] = mapped_column(String(40))
    fuel: Mapped[str] = mapped_column(String(40))
    pricing_node_id: Mapped[int | None] = mapped_column(ForeignKey("pricing_node.id"))
    aggregated_node_id: Mapped[int | None] = mapped_column(ForeignKey("aggregated_node.id"))
    p_min_mw: Mapped[Decimal] = mapped_column(Quantity())
    p_max_mw: Mapped[Decimal] = mapped_column(Quantity())
    ramp_rate_mw_per_min: Mapped[Decimal] = mapped_column(Quantity())
    min_up_hours: Mapped[int] = mapped_column(Integer)
    min_down_hours: Mapped[int] = mapped_column(Integer)
    max_starts_per_day: Mapped[int | None] = mapped_column(Integer)
    startup_time_hours: Mapped[Decimal | None] = mapped_column(Quantity())
    """How long a start takes; None when the source data does not say."""
    startup_cost_usd: Mapped[Decimal] = mapped_column(Money())
    min_load_cost_usd_per_hour: Mapped[Decimal] = mapped_column(Money())
    fuel_price_usd_per_mmbtu: Mapped[Decimal | None] = mapped_column(UnitPrice())
    ra_capacity_mw: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    is_variable: Mapped[bool] = mapped_column(Boolean, default=False)
    metering_type: Mapped[MeteringType] = mapped_column(
        Enum(MeteringType, native_enum=False, length=16)
    )
    telemetry_required: Mapped[bool] = mapped_column(Boolean)
    certified_regulation: Mapped[bool] = mapped_column(Boolean, default=False)
    certified_spinning: Mapped[bool] = mapped_column(Boolean, default=False)
    certified_non_spinning: Mapped[bool] = mapped_column(Boolean, default=False)
    storage_max_mwh: Mapped[Decimal | None] = mapped_column(Quantity())
    storage_round_trip_efficiency: Mapped[Decimal | None] = mapped_column(Quantity())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)

    pricing_node: Mapped[PricingNode | None] = relationship()
    aggregated_node: Mapped[AggregatedNode | None] = relationship()
    cost_segments: Mapped[list[ResourceCostSegment]] = relationship(
        cascade="all, delete-orphan", order_by="ResourceCostSegment.sequence"
    )


class ResourceCostSegment(Base):
    """One step of a resource's registered incremental cost curve."""

    __tablename__ = "resource_cost_segment"
    __table_args__ = (UniqueConstraint("resource_pk", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_pk: Mapped[int] = mapped_column(ForeignKey("resource.id"))
    sequence: Mapped[int] = mapped_column(Integer)
    mw_from: Mapped[Decimal] = mapped_column(Quantity())
    mw_to: Mapped[Decimal] = mapped_column(Quantity())
    incremental_heat_rate_btu_per_kwh: Mapped[Decimal | None] = mapped_column(Quantity())
    price_usd_per_mwh: Mapped[Decimal] = mapped_column(UnitPrice())


class ResourceAssignment(Base):
    """Which SCID represents a resource, effective-dated; history is never overwritten."""

    __tablename__ = "resource_assignment"
    __table_args__ = (
        Index(
            "uq_resource_assignment_open",
            "resource_pk",
            unique=True,
            sqlite_where=text("effective_to_utc IS NULL"),
            postgresql_where=text("effective_to_utc IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_pk: Mapped[int] = mapped_column(ForeignKey("resource.id"))
    scid_id: Mapped[int] = mapped_column(ForeignKey("scid.id"))
    effective_from_utc: Mapped[datetime] = mapped_column(UtcDateTime())
    effective_to_utc: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)

    resource: Mapped[Resource] = relationship()
    scid: Mapped[Scid] = relationship()
