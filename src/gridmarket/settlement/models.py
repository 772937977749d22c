"""Settlement tables: runs, immutable statement versions, their lines, the ledger.

* ``settlement_run``: one computation of a trade date (kind initial / recalculation…),
  with the meter policy, totals and the interval detail behind its lines
  (``settlement_run_detail``: Parquet blobs, exact integers of 1e-6).
* ``settlement_statement``: one account's (SCID or ISO account) statement of a
  trade date; ``version`` counts from 1 per (account, trade_date), unique;
  immutable once published (guarded in :mod:`gridmarket.settlement.store`).
  Ready for invoices and disputes: total, publication date, dispute deadline.
* ``settlement_statement_line``: one line per charge code, component and subject
  for the trade date, with quantity, price, amount (cents) and bill determinants (JSON).
* ``ledger_journal_entry`` / ``ledger_posting``: double entry; each statement
  version posts its change against the ISO clearing accounts; the postings of
  an entry sum to zero (checked before insert and by an invariant test).

Example::

    session.scalars(select(SettlementStatement).where(SettlementStatement.account == "DTGA"))
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridmarket.db.base import Base, Money, Quantity, UnitPrice, UtcDateTime


class SettlementRun(Base):
    __tablename__ = "settlement_run"
    # One run per statement of the schedule: a statement is never issued twice.
    __table_args__ = (Index("ix_settlement_run_day", "trade_date", "kind", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(24))
    """``initial``, ``recalculation``, ``recalculation_11m`` … (the calendar's statement kinds)."""
    status: Mapped[str] = mapped_column(String(12))
    """PUBLISHED, or UNCHANGED (a later recalculation that found nothing changed)."""
    missing_meter_policy: Mapped[str] = mapped_column(String(16))
    missing_reads: Mapped[int] = mapped_column(Integer, default=0)
    line_count: Mapped[int] = mapped_column(Integer)
    total_usd: Mapped[Decimal] = mapped_column(Money())
    """Sum of every line of every account: always 0.00 (stored to be checked)."""
    pools_json: Mapped[str] = mapped_column(Text, default="{}")
    market_run_ids_json: Mapped[str] = mapped_column(Text, default="{}")
    parameter_set_id: Mapped[int | None] = mapped_column(ForeignKey("market_parameter_set.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    requested_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class SettlementRunDetail(Base):
    """The interval rows behind a run's lines (drill-down), one Parquet blob per table."""

    __tablename__ = "settlement_run_detail"
    __table_args__ = (UniqueConstraint("run_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("settlement_run.id"))
    name: Mapped[str] = mapped_column(String(16))
    row_count: Mapped[int] = mapped_column(Integer)
    parquet: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))


class SettlementStatement(Base):
    __tablename__ = "settlement_statement"
    __table_args__ = (
        UniqueConstraint("account", "trade_date", "version"),
        Index("ix_settlement_statement_day", "trade_date", "account"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("settlement_run.id"))
    account: Mapped[str] = mapped_column(String(16))
    """An SCID code, or an ISO account (``ISO_CONGESTION`` …)."""
    account_kind: Mapped[str] = mapped_column(String(4))
    """``SC`` or ``ISO``."""
    trade_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(24))
    version: Mapped[int] = mapped_column(Integer)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("settlement_statement.id"))
    publication_date: Mapped[date] = mapped_column(Date)
    """The scheduled publication date (T+9B, T+70B, T+11M …)."""
    published_at: Mapped[datetime] = mapped_column(UtcDateTime())
    is_published: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    total_usd: Mapped[Decimal] = mapped_column(Money())
    line_count: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the canonical lines: a stored line changed afterwards is detected."""
    is_disputable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Recalculation statements are disputable (rulebook §8); the initial is not."""
    dispute_deadline: Mapped[date | None] = mapped_column(Date)

    lines: Mapped[list[SettlementStatementLine]] = relationship(
        back_populates="statement", order_by="SettlementStatementLine.id")


class SettlementStatementLine(Base):
    __tablename__ = "settlement_statement_line"
    __table_args__ = (Index("ix_settlement_statement_line_statement", "statement_id",
                            "charge_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("settlement_statement.id"))
    charge_code: Mapped[str] = mapped_column(String(16))
    component: Mapped[str] = mapped_column(String(12))
    subject_kind: Mapped[str] = mapped_column(String(12))
    subject: Mapped[str] = mapped_column(String(140))
    quantity_mwh: Mapped[Decimal] = mapped_column(Quantity())
    price_usd_per_mwh: Mapped[Decimal | None] = mapped_column(UnitPrice())
    amount_usd: Mapped[Decimal] = mapped_column(Money())
    amount_unrounded_usd: Mapped[Decimal] = mapped_column(Money())
    intervals: Mapped[int] = mapped_column(Integer)
    determinants_json: Mapped[str] = mapped_column(Text)

    statement: Mapped[SettlementStatement] = relationship(back_populates="lines")


class LedgerJournalEntry(Base):
    __tablename__ = "ledger_journal_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("settlement_statement.id"), unique=True)
    trade_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(200))
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LedgerPosting(Base):
    __tablename__ = "ledger_posting"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_journal_entry.id"), index=True)
    account: Mapped[str] = mapped_column(String(16))
    charge_code: Mapped[str] = mapped_column(String(16))
    amount_usd: Mapped[Decimal] = mapped_column(Money())
    """Positive: the account owes (debit); negative: it is owed (credit)."""


class PublishedStatementImmutable(Exception):
    """A published statement or its lines cannot be changed or deleted: issue a new version."""


def _refuse_change(_mapper: object, _connection: object, target: object) -> None:
    statement = target if isinstance(target, SettlementStatement) else getattr(
        target, "statement", None)
    if statement is None or statement.is_published:
        raise PublishedStatementImmutable(
            f"{type(target).__name__} {getattr(target, 'id', '?')} belongs to a published "
            "statement: publish a new version instead")


for _model in (SettlementStatement, SettlementStatementLine):
    event.listen(_model, "before_update", _refuse_change)
    event.listen(_model, "before_delete", _refuse_change)
