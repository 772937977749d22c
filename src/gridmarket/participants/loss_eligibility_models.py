"""Tables of marginal-loss adjustment eligibility (rulebook §9, assumed design).

An SC applies for named resources or contracts (existing transmission
contracts, transmission ownership rights) with supporting documents; the ISO
approves with an effective date and an expiry, or rejects with a reason.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridmarket.db.base import Base, UtcDateTime
from gridmarket.participants.models import Document, Scid
from gridmarket.resources.models import Resource


class LossEligibilityStatus(enum.StrEnum):
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class LossEligibilityApplication(Base):
    """An SC's application for marginal-loss adjustment; approved for a window of dates."""

    __tablename__ = "loss_eligibility_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    scid_id: Mapped[int] = mapped_column(ForeignKey("scid.id"), index=True)
    status: Mapped[LossEligibilityStatus] = mapped_column(
        Enum(LossEligibilityStatus, native_enum=False, length=20)
    )
    justification: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    effective_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    """First trade date the approval no longer covers."""
    rejection_reason: Mapped[str] = mapped_column(Text, default="")

    scid: Mapped[Scid] = relationship()
    items: Mapped[list[LossEligibilityItem]] = relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="LossEligibilityItem.id",
    )
    documents: Mapped[list[Document]] = relationship(
        secondary="loss_eligibility_document", order_by="Document.id"
    )


class LossEligibilityItem(Base):
    """One resource or one contract reference an application names (exactly one of the two)."""

    __tablename__ = "loss_eligibility_item"
    __table_args__ = (
        UniqueConstraint("application_id", "resource_pk", name="uq_loss_eligibility_item_resource"),
        UniqueConstraint(
            "application_id", "contract_ref", name="uq_loss_eligibility_item_contract"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("loss_eligibility_application.id"))
    resource_pk: Mapped[int | None] = mapped_column(ForeignKey("resource.id"))
    contract_ref: Mapped[str | None] = mapped_column(String(100))
    """An existing transmission contract or transmission ownership right, e.g. ``ETC 42``."""

    application: Mapped[LossEligibilityApplication] = relationship(back_populates="items")
    resource: Mapped[Resource | None] = relationship()

    @property
    def label(self) -> str:
        """The resource ID or the contract reference."""
        if self.resource is not None:
            return self.resource.resource_id
        return self.contract_ref or ""


class LossEligibilityDocument(Base):
    __tablename__ = "loss_eligibility_document"

    application_id: Mapped[int] = mapped_column(
        ForeignKey("loss_eligibility_application.id"), primary_key=True
    )
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), primary_key=True)
