"""Tables of the credit area (rulebook §6).

* ``credit_profile``: what the UCL is computed from (tangible net worth, total
  assets, rating, affiliate group, parent guarantee).
* ``financial_security``: letters of credit and cash deposits, posted and released.
* ``credit_account``: one row per SC, the row locked by every credit check, holding
  the ACL and liabilities the check compares.
* ``credit_reservation``: the exposure of each outstanding virtual bid and cleared
  virtual position.
* ``eal_computation`` and ``eal_component``: each EAL computation with every
  component's amount, formula and inputs.
* ``collateral_call``: calls for security when EAL exceeds ACL.

Money columns are ``NUMERIC`` and hold whole cents (see ``credit.money``).
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
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridmarket.db.base import Base, Money, UtcDateTime
from gridmarket.participants.models import SchedulingCoordinator


class AffiliateGroup(Base):
    """Scheduling coordinators under common control, sharing one unsecured credit cap."""

    __tablename__ = "affiliate_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CreditProfile(Base):
    """The figures an SC's unsecured credit limit and participation requirements use."""

    __tablename__ = "credit_profile"

    scheduling_coordinator_id: Mapped[int] = mapped_column(
        ForeignKey("scheduling_coordinator.id"), primary_key=True
    )
    tangible_net_worth_usd: Mapped[Decimal] = mapped_column(Money())
    total_assets_usd: Mapped[Decimal] = mapped_column(Money())
    rating: Mapped[str | None] = mapped_column(String(10))
    """Long-term issuer rating (S&P/Fitch scale); ``None`` when unrated."""
    financials_as_of: Mapped[date] = mapped_column(Date)
    """Date of the financial statements the figures come from."""
    affiliate_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("affiliate_group.id"), index=True
    )
    guarantor_name: Mapped[str | None] = mapped_column(String(200))
    guarantor_tangible_net_worth_usd: Mapped[Decimal | None] = mapped_column(Money())
    guarantor_rating: Mapped[str | None] = mapped_column(String(10))
    guarantee_expires_on: Mapped[date | None] = mapped_column(Date)
    """First day the parent guarantee no longer supports the UCL (``None``: open-ended)."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    scheduling_coordinator: Mapped[SchedulingCoordinator] = relationship()
    affiliate_group: Mapped[AffiliateGroup | None] = relationship()


class SecurityKind(enum.StrEnum):
    LETTER_OF_CREDIT = "LETTER_OF_CREDIT"
    CASH_DEPOSIT = "CASH_DEPOSIT"


class FinancialSecurity(Base):
    """A letter of credit or cash deposit held by the ISO for an SC.

    It counts toward the ACL on each day from ``effective_on`` up to, not
    including, ``expires_on`` (letters of credit) and ``released_on``.
    """

    __tablename__ = "financial_security"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheduling_coordinator_id: Mapped[int] = mapped_column(
        ForeignKey("scheduling_coordinator.id"), index=True
    )
    kind: Mapped[SecurityKind] = mapped_column(Enum(SecurityKind, native_enum=False, length=20))
    amount_usd: Mapped[Decimal] = mapped_column(Money())
    issuer: Mapped[str | None] = mapped_column(String(200))
    """The issuing bank of a letter of credit."""
    instrument_reference: Mapped[str] = mapped_column(String(100))
    effective_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    released_on: Mapped[date | None] = mapped_column(Date)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    release_reason: Mapped[str] = mapped_column(Text, default="")


class CreditAccount(Base):
    """The row every credit check of one SC locks, so checks of that SC take turns.

    It keeps what a check needs without recomputing the EAL: the ACL, the EAL
    components other than virtual bid exposure (``base_liability_usd``, as of
    the last EAL computation), and the running total of active reservations.
    """

    __tablename__ = "credit_account"

    scheduling_coordinator_id: Mapped[int] = mapped_column(
        ForeignKey("scheduling_coordinator.id"), primary_key=True
    )
    acl_usd: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    acl_as_of: Mapped[date | None] = mapped_column(Date)
    acl_valid_until: Mapped[date | None] = mapped_column(Date)
    """First day the ACL may change by itself (security or guarantee starts or ends)."""
    base_liability_usd: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    reserved_exposure_usd: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    last_computation_id: Mapped[int | None] = mapped_column(ForeignKey("eal_computation.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ReservationKind(enum.StrEnum):
    VIRTUAL_BID = "VIRTUAL_BID"
    """An outstanding (submitted, not yet cleared) virtual bid."""
    CLEARED_VIRTUAL_POSITION = "CLEARED_VIRTUAL_POSITION"
    """A cleared virtual position not yet on a settlement statement."""


class ReservationStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    RELEASED = "RELEASED"


class CreditReservation(Base):
    """Credit held for one virtual bid or cleared virtual position; released, never deleted."""

    __tablename__ = "credit_reservation"
    __table_args__ = (
        Index(
            "uq_credit_reservation_active_reference",
            "scheduling_coordinator_id",
            "reference",
            unique=True,
            sqlite_where=text("status = 'ACTIVE'"),
            postgresql_where=text("status = 'ACTIVE'"),
        ),
        Index("ix_credit_reservation_sc_status", "scheduling_coordinator_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scheduling_coordinator_id: Mapped[int] = mapped_column(ForeignKey("scheduling_coordinator.id"))
    scid_id: Mapped[int] = mapped_column(ForeignKey("scid.id"))
    reference: Mapped[str] = mapped_column(String(100))
    """The bid (or position) the credit is held for, in the bidding area's terms."""
    kind: Mapped[ReservationKind] = mapped_column(
        Enum(ReservationKind, native_enum=False, length=30)
    )
    trade_date: Mapped[date | None] = mapped_column(Date)
    exposure_usd: Mapped[Decimal] = mapped_column(Money())
    basis: Mapped[str] = mapped_column(Text, default="")
    """How the exposure was computed, e.g. ``10 MW × $50.00/MWh``."""
    status: Mapped[ReservationStatus] = mapped_column(
        Enum(ReservationStatus, native_enum=False, length=20)
    )
    reserved_at: Mapped[datetime] = mapped_column(UtcDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    release_reason: Mapped[str] = mapped_column(Text, default="")


class EalTrigger(enum.StrEnum):
    """Why the EAL was computed."""

    DAILY = "DAILY"
    MARKET_RUN = "MARKET_RUN"
    STATEMENT = "STATEMENT"
    PAYMENT = "PAYMENT"
    FINANCIAL_SECURITY = "FINANCIAL_SECURITY"
    PROFILE = "PROFILE"
    MANUAL = "MANUAL"
    CREDIT_CHECK = "CREDIT_CHECK"
    """The first credit check of an SC with no EAL computed yet."""


class EalComputation(Base):
    """One computation of an SC's EAL and ACL, kept with every component."""

    __tablename__ = "eal_computation"
    __table_args__ = (Index("ix_eal_computation_sc_time", "scheduling_coordinator_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scheduling_coordinator_id: Mapped[int] = mapped_column(ForeignKey("scheduling_coordinator.id"))
    as_of: Mapped[date] = mapped_column(Date)
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    trigger: Mapped[EalTrigger] = mapped_column(Enum(EalTrigger, native_enum=False, length=20))
    ucl_usd: Mapped[Decimal] = mapped_column(Money())
    financial_security_usd: Mapped[Decimal] = mapped_column(Money())
    participation_security_usd: Mapped[Decimal] = mapped_column(Money())
    """Security held for the minimum participation requirements (deducted from the ACL)."""
    acl_usd: Mapped[Decimal] = mapped_column(Money())
    acl_basis_json: Mapped[str] = mapped_column(Text)
    """How the UCL and ACL were worked out: figures, rating %, cap share."""
    eal_usd: Mapped[Decimal] = mapped_column(Money())
    available_credit_usd: Mapped[Decimal] = mapped_column(Money())
    utilisation: Mapped[Decimal | None] = mapped_column(Numeric(12, 6))
    """EAL ÷ ACL, for display (``None`` when the ACL is not positive)."""

    components: Mapped[list[EalComponent]] = relationship(
        back_populates="computation", order_by="EalComponent.position"
    )


class EalComponent(Base):
    """One component of an EAL computation, with how it was computed."""

    __tablename__ = "eal_component"

    id: Mapped[int] = mapped_column(primary_key=True)
    computation_id: Mapped[int] = mapped_column(ForeignKey("eal_computation.id"), index=True)
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    provided: Mapped[bool] = mapped_column(Boolean)
    """False while no area has registered a provider for the component."""
    provider: Mapped[str] = mapped_column(String(200))
    net_amount_usd: Mapped[Decimal] = mapped_column(Money())
    """The provider's amount, signed as in settlement (negative: owed to the SC)."""
    amount_usd: Mapped[Decimal] = mapped_column(Money())
    """What counts in the EAL: the net amount rounded up to the cent, never below zero."""
    formula: Mapped[str] = mapped_column(Text)
    inputs_json: Mapped[str] = mapped_column(Text)

    computation: Mapped[EalComputation] = relationship(back_populates="components")


class CollateralCallStatus(enum.StrEnum):
    OPEN = "OPEN"
    MET = "MET"


class CollateralCall(Base):
    """A demand for security: EAL exceeded ACL; post by ``due_on`` or be suspended."""

    __tablename__ = "collateral_call"
    __table_args__ = (
        Index(
            "uq_collateral_call_open",
            "scheduling_coordinator_id",
            unique=True,
            sqlite_where=text("status = 'OPEN'"),
            postgresql_where=text("status = 'OPEN'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scheduling_coordinator_id: Mapped[int] = mapped_column(
        ForeignKey("scheduling_coordinator.id"), index=True
    )
    issued_on: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    due_on: Mapped[date] = mapped_column(Date)
    """Last day to cure; the SC is suspended from the next day if the call is still open."""
    amount_usd: Mapped[Decimal] = mapped_column(Money())
    """EAL − ACL when the call was issued."""
    eal_usd: Mapped[Decimal] = mapped_column(Money())
    acl_usd: Mapped[Decimal] = mapped_column(Money())
    computation_id: Mapped[int] = mapped_column(ForeignKey("eal_computation.id"))
    status: Mapped[CollateralCallStatus] = mapped_column(
        Enum(CollateralCallStatus, native_enum=False, length=10)
    )
    met_on: Mapped[date | None] = mapped_column(Date)
    met_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    met_by_computation_id: Mapped[int | None] = mapped_column(ForeignKey("eal_computation.id"))
    suspended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


__all__ = [
    "AffiliateGroup",
    "CollateralCall",
    "CollateralCallStatus",
    "CreditAccount",
    "CreditProfile",
    "CreditReservation",
    "EalComponent",
    "EalComputation",
    "EalTrigger",
    "FinancialSecurity",
    "ReservationKind",
    "ReservationStatus",
    "SecurityKind",
]
