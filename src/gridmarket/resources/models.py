"""Tables of the Master File: pricing nodes, aggregated nodes, resources, SC assignments."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridmarket.db.base import Base, Money, Quantity, UnitPrice, UtcDateTime, utc_now
from gridmarket.participants.models import Document, Scid


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
    is_station_power: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Serves the station's own load; moves to another SC only on the 1st of a month."""
    is_use_limited: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Limited in how often or how long it may run (e.g. hydro with limited water)."""
    is_rmr: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Under a reliability-must-run contract with the ISO."""
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
    """Which SCID represents a resource, effective-dated; history is never overwritten.

    The database holds the rule that a resource has one SC at a time: a
    period does not end before it starts, at most one is open, and no two
    periods of a resource overlap (an exclusion constraint on PostgreSQL, triggers on
    SQLite; migration 0014).
    """

    __tablename__ = "resource_assignment"
    __table_args__ = (
        CheckConstraint("effective_to_utc IS NULL OR effective_to_utc >= effective_from_utc",
                        name="period"),
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


class TransferKind(enum.StrEnum):
    CHANGE_OF_SC = "CHANGE_OF_SC"
    """To a SCID of another scheduling coordinator: five documents, lead time."""
    SCID_MOVE = "SCID_MOVE"
    """Between two SCIDs of the same scheduling coordinator: one letter."""


class TransferStatus(enum.StrEnum):
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    COMPLETED = "COMPLETED"
    """The assignments have switched on the effective date."""


class TransferDocumentSlot(enum.StrEnum):
    """The documents a transfer needs (rulebook §3), each a slot to fill."""

    GENERATOR_RESOURCE_DATA_TEMPLATE = "GENERATOR_RESOURCE_DATA_TEMPLATE"
    RESOURCE_CONTROL_AGREEMENT_DISCLOSURE = "RESOURCE_CONTROL_AGREEMENT_DISCLOSURE"
    OWNER_SC_SELECTION_LETTER = "OWNER_SC_SELECTION_LETTER"
    NEW_SC_ACCEPTANCE_LETTER = "NEW_SC_ACCEPTANCE_LETTER"
    RELINQUISHING_SC_LETTER = "RELINQUISHING_SC_LETTER"
    SCID_MOVE_LETTER = "SCID_MOVE_LETTER"


class DocumentSource(enum.StrEnum):
    GENERATED = "GENERATED"
    """Rendered by the platform from its letter template."""
    UPLOADED = "UPLOADED"
    """A file a party uploaded, e.g. the signed letter."""


class ResourceTransfer(Base):
    """A request to move resources from one SCID to another on an effective date."""

    __tablename__ = "resource_transfer"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TransferKind] = mapped_column(Enum(TransferKind, native_enum=False, length=20))
    status: Mapped[TransferStatus] = mapped_column(
        Enum(TransferStatus, native_enum=False, length=20), index=True
    )
    from_scid_id: Mapped[int] = mapped_column(ForeignKey("scid.id"), index=True)
    to_scid_id: Mapped[int] = mapped_column(ForeignKey("scid.id"), index=True)
    effective_date: Mapped[date] = mapped_column(Date)
    """The trade date from which the new SCID represents the resources."""
    effective_from_utc: Mapped[datetime] = mapped_column(UtcDateTime())
    """Start of the effective trade day in market time, as a UTC instant."""
    resource_owner: Mapped[str] = mapped_column(String(200))
    signatory_name: Mapped[str] = mapped_column(String(200))
    signatory_title: Mapped[str] = mapped_column(String(200))
    submitted_on: Mapped[date] = mapped_column(Date)
    """The market date of submission: the date the letters carry and lead times count from."""
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    from_scid: Mapped[Scid] = relationship(foreign_keys=[from_scid_id])
    to_scid: Mapped[Scid] = relationship(foreign_keys=[to_scid_id])
    items: Mapped[list[ResourceTransferItem]] = relationship(
        back_populates="transfer", cascade="all, delete-orphan", order_by="ResourceTransferItem.id"
    )
    documents: Mapped[list[ResourceTransferDocument]] = relationship(
        back_populates="transfer",
        cascade="all, delete-orphan",
        order_by="ResourceTransferDocument.id",
    )


class ResourceTransferItem(Base):
    """One resource named in a transfer request."""

    __tablename__ = "resource_transfer_item"
    __table_args__ = (UniqueConstraint("transfer_id", "resource_pk"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("resource_transfer.id"))
    resource_pk: Mapped[int] = mapped_column(ForeignKey("resource.id"), index=True)

    transfer: Mapped[ResourceTransfer] = relationship(back_populates="items")
    resource: Mapped[Resource] = relationship()


class ResourceTransferDocument(Base):
    """The document filling one slot of a transfer: a generated letter or an uploaded file."""

    __tablename__ = "resource_transfer_document"
    __table_args__ = (UniqueConstraint("transfer_id", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("resource_transfer.id"))
    slot: Mapped[TransferDocumentSlot] = mapped_column(
        Enum(TransferDocumentSlot, native_enum=False, length=40)
    )
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    source: Mapped[DocumentSource] = mapped_column(
        Enum(DocumentSource, native_enum=False, length=20)
    )
    attached_at: Mapped[datetime] = mapped_column(UtcDateTime())
    attached_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    transfer: Mapped[ResourceTransfer] = relationship(back_populates="documents")
    document: Mapped[Document] = relationship()


class ResourceChange(Base):
    """One field of a resource changed by Master File maintenance: old and new value, who, when."""

    __tablename__ = "resource_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_pk: Mapped[int] = mapped_column(ForeignKey("resource.id"), index=True)
    field: Mapped[str] = mapped_column(String(60))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    effective_from: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CertificationKind(enum.StrEnum):
    REVENUE_METER = "REVENUE_METER"
    """Required for ISO-metered resources."""
    TELEMETRY = "TELEMETRY"
    """Required for generating units of the threshold size or more and regulation providers."""


class ResourceCertification(Base):
    """A revenue meter or telemetry certification: valid from ``certified_on`` until,
    not including, ``expires_on``. Recertification adds a row; none is overwritten."""

    __tablename__ = "resource_certification"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_pk: Mapped[int] = mapped_column(ForeignKey("resource.id"), index=True)
    kind: Mapped[CertificationKind] = mapped_column(
        Enum(CertificationKind, native_enum=False, length=20)
    )
    certified_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    evidence_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())

    resource: Mapped[Resource] = relationship()
