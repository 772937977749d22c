"""Tables of the access area: organisations, people, their roles and SCID grants."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridmarket.db.base import Base, UtcDateTime, utc_now


class OrganisationKind(enum.StrEnum):
    ISO = "ISO"
    SC = "SC"
    APPLICANT = "APPLICANT"


class Role(enum.StrEnum):
    """ISO and SC roles (rulebook §5)."""

    ISO_ADMINISTRATOR = "ISO_ADMINISTRATOR"
    CERTIFICATION_SPECIALIST = "CERTIFICATION_SPECIALIST"
    CREDIT_ANALYST = "CREDIT_ANALYST"
    MARKET_OPERATOR = "MARKET_OPERATOR"
    SETTLEMENT_ANALYST_ISO = "SETTLEMENT_ANALYST_ISO"
    USER_ACCESS_ADMINISTRATOR = "USER_ACCESS_ADMINISTRATOR"
    TRADER = "TRADER"
    SETTLEMENT_ANALYST = "SETTLEMENT_ANALYST"
    READ_ONLY = "READ_ONLY"


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(
        Enum(OrganisationKind, native_enum=False, length=20)
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)

    people: Mapped[list[Person]] = relationship(back_populates="organisation")


class Person(Base):
    """A person with their own credentials; everything done with them is their act."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)

    organisation: Mapped[Organisation] = relationship(back_populates="people")
    roles: Mapped[list[RoleGrant]] = relationship(cascade="all, delete-orphan")


class RoleGrant(Base):
    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("person_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=40))
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class ScidGrant(Base):
    """Access by SCID: a person sees and acts only for the SCIDs granted to them."""

    __tablename__ = "scid_grant"
    __table_args__ = (UniqueConstraint("person_id", "scid_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    scid_id: Mapped[int] = mapped_column(ForeignKey("scid.id"))
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
