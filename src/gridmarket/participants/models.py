"""Tables of the participants area: scheduling coordinators and their SCIDs."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridmarket.access.models import Organisation
from gridmarket.db.base import Base, Money, UtcDateTime, utc_now


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
    scheduling_coordinator_id: Mapped[int] = mapped_column(ForeignKey("scheduling_coordinator.id"))
    granted_on: Mapped[date] = mapped_column(Date)

    scheduling_coordinator: Mapped[SchedulingCoordinator] = relationship(back_populates="scids")


class EntityType(enum.StrEnum):
    MUNICIPAL_UTILITY = "MUNICIPAL_UTILITY"
    POWER_MARKETER = "POWER_MARKETER"
    INVESTOR_OWNED_UTILITY = "INVESTOR_OWNED_UTILITY"
    FEDERAL_STATE_AGENCY = "FEDERAL_STATE_AGENCY"
    OTHER = "OTHER"


class ScApplication(Base):
    """The SC application form (rulebook §2), one per applying scheduling coordinator."""

    __tablename__ = "sc_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheduling_coordinator_id: Mapped[int] = mapped_column(
        ForeignKey("scheduling_coordinator.id"), unique=True
    )
    legal_name: Mapped[str] = mapped_column(String(200))
    scid_choice_1: Mapped[str] = mapped_column(String(8))
    scid_choice_2: Mapped[str] = mapped_column(String(8))
    scid_choice_3: Mapped[str] = mapped_column(String(8))
    street_address: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100))
    postal_code: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(60))
    state_of_incorporation: Mapped[str] = mapped_column(String(60))
    proposed_start_date: Mapped[date] = mapped_column(Date)
    entity_type: Mapped[EntityType] = mapped_column(Enum(EntityType, native_enum=False, length=30))
    uses_scheduling_agent: Mapped[bool] = mapped_column(Boolean)
    scheduling_agent_name: Mapped[str | None] = mapped_column(String(200))
    represents_generators: Mapped[bool] = mapped_column(Boolean)
    represents_loads: Mapped[bool] = mapped_column(Boolean)
    represents_imports_exports: Mapped[bool] = mapped_column(Boolean)
    virtual_trading_only: Mapped[bool] = mapped_column(Boolean)
    has_sc_metered_entities: Mapped[bool] = mapped_column(Boolean)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    completeness_due_on: Mapped[date] = mapped_column(Date)
    fee_amount_usd: Mapped[Decimal | None] = mapped_column(Money())
    fee_paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    fee_reference: Mapped[str | None] = mapped_column(String(100))
    certification_specialist_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    last_activity_at: Mapped[datetime] = mapped_column(UtcDateTime())
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))

    scheduling_coordinator: Mapped[SchedulingCoordinator] = relationship()
    checklist: Mapped[list[ChecklistItem]] = relationship(
        back_populates="application", order_by="ChecklistItem.id"
    )


class StatusTransition(Base):
    """One step of an SC's life: who moved it from which status to which, and when."""

    __tablename__ = "sc_status_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheduling_coordinator_id: Mapped[int] = mapped_column(
        ForeignKey("scheduling_coordinator.id"), index=True
    )
    from_status: Mapped[ScStatus | None] = mapped_column(
        Enum(ScStatus, native_enum=False, length=20)
    )
    to_status: Mapped[ScStatus] = mapped_column(Enum(ScStatus, native_enum=False, length=20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class ChecklistItemStatus(enum.StrEnum):
    OPEN = "OPEN"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    NOT_APPLICABLE = "NOT_APPLICABLE"


class ChecklistItem(Base):
    """One certification checklist item, with its owner, status, evidence and reviewer."""

    __tablename__ = "checklist_item"
    __table_args__ = (UniqueConstraint("application_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("sc_application.id"))
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(20))
    status: Mapped[ChecklistItemStatus] = mapped_column(
        Enum(ChecklistItemStatus, native_enum=False, length=20)
    )
    note: Mapped[str] = mapped_column(Text, default="")
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    application: Mapped[ScApplication] = relationship(back_populates="checklist")
    evidence: Mapped[list[Document]] = relationship(
        secondary="checklist_evidence", order_by="Document.id"
    )


class Document(Base):
    """An uploaded or generated file (evidence, agreement, letter), kept in the database."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ChecklistEvidence(Base):
    __tablename__ = "checklist_evidence"

    checklist_item_id: Mapped[int] = mapped_column(
        ForeignKey("checklist_item.id"), primary_key=True
    )
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), primary_key=True)


class AgreementKind(enum.StrEnum):
    SC_AGREEMENT = "SC_AGREEMENT"
    METER_SERVICE_AGREEMENT = "METER_SERVICE_AGREEMENT"


class Agreement(Base):
    """An executed agreement between the ISO and an SC."""

    __tablename__ = "agreement"
    __table_args__ = (UniqueConstraint("scheduling_coordinator_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scheduling_coordinator_id: Mapped[int] = mapped_column(ForeignKey("scheduling_coordinator.id"))
    kind: Mapped[AgreementKind] = mapped_column(Enum(AgreementKind, native_enum=False, length=30))
    signed_on: Mapped[date] = mapped_column(Date)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    terminated_on: Mapped[date | None] = mapped_column(Date)


class ExamAttempt(Base):
    """One sitting of the market proficiency exam."""

    __tablename__ = "exam_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("sc_application.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    question_ids_json: Mapped[str] = mapped_column(Text)
    answers_json: Mapped[str | None] = mapped_column(Text)
    score_percent: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ObligationKind(enum.StrEnum):
    MATERIAL_CHANGE_REPORT = "MATERIAL_CHANGE_REPORT"
    ACCOUNT_CHANGE_REQUEST = "ACCOUNT_CHANGE_REQUEST"
    OFFICER_CERTIFICATION = "OFFICER_CERTIFICATION"


class Obligation(Base):
    """A filing an SC owes (or has made): what, by when, and when it was filed."""

    __tablename__ = "obligation"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheduling_coordinator_id: Mapped[int] = mapped_column(
        ForeignKey("scheduling_coordinator.id"), index=True
    )
    kind: Mapped[ObligationKind] = mapped_column(Enum(ObligationKind, native_enum=False, length=30))
    reference_date: Mapped[date] = mapped_column(Date)
    """The change date, the requested effective date, or the certification's due date."""
    due_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    filed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    filed_late: Mapped[bool] = mapped_column(Boolean, default=False)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class Notice(Base):
    """A written notice to an SC (or to all SCs when no SC is named)."""

    __tablename__ = "notice"
    __table_args__ = (UniqueConstraint("dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scheduling_coordinator_id: Mapped[int | None] = mapped_column(
        ForeignKey("scheduling_coordinator.id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    """Natural key so a daily job that runs twice raises a notice once."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
