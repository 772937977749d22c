"""Declarative base and the column types every area shares.

Money is exact: ``Money`` columns are ``NUMERIC`` and map to ``Decimal``.
Instants are UTC: ``UtcDateTime`` refuses naive datetimes on the way in and
returns aware UTC datetimes on the way out, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, MetaData, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every table; constraint names are deterministic for migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant, stored as ``timestamptz`` or naive UTC on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: instants must be timezone-aware")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def Money() -> Numeric[Decimal]:
    """US dollars, exact to the cent and beyond (sub-cent fees, unrounded lines)."""
    return Numeric(20, 6, asdecimal=True)


def UnitPrice() -> Numeric[Decimal]:
    """A price per unit ($/MWh, $/MW, $/MMBtu), exact."""
    return Numeric(16, 6, asdecimal=True)


def Quantity() -> Numeric[Decimal]:
    """A physical quantity (MW, MWh, hours) kept exactly as entered."""
    return Numeric(16, 6, asdecimal=True)


def utc_now() -> datetime:
    return datetime.now(UTC)
