"""Tables of the access area: organisations, people, their roles and SCID grants."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
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


class PasswordCredential(Base):
    """A person's web password (argon2id hash) and the state of their failed logins."""

    __tablename__ = "password_credential"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    """Failed logins counted in the window that began at ``first_failed_login_at``."""
    first_failed_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class TokenKind(enum.StrEnum):
    API = "API"
    """A named bearer token a person creates for programs; lives up to a year."""
    SESSION = "SESSION"
    """The web session behind the login cookie; lives a few hours."""


class AccessToken(Base):
    """A bearer credential of one person. Only the SHA-256 of the secret is stored."""

    __tablename__ = "access_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[TokenKind] = mapped_column(Enum(TokenKind, native_enum=False, length=10))
    name: Mapped[str] = mapped_column(String(100))
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    """The first characters of the secret, so a person can tell their tokens apart."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AuditEntry(Base):
    """One entry of the append-only audit log, chained by hash to the one before.

    ``entry_sha256`` is SHA-256 over ``previous_sha256`` and the canonical JSON of
    the entry's content, so editing, deleting or reordering entries breaks the chain.
    """

    __tablename__ = "audit_entry"

    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    actor_person_id: Mapped[int | None] = mapped_column(Integer, index=True)
    """No foreign key: the log outlives and never constrains the people it names."""
    actor_email: Mapped[str | None] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(80))
    object_id: Mapped[str] = mapped_column(String(254))
    outcome: Mapped[str] = mapped_column(String(20))
    details_json: Mapped[str] = mapped_column(Text)
    previous_sha256: Mapped[str] = mapped_column(String(64))
    entry_sha256: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """The single row naming the last audit entry; writers lock it to append in turn."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_sequence: Mapped[int] = mapped_column(Integer)
    last_sha256: Mapped[str] = mapped_column(String(64))
