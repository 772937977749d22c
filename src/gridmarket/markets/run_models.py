"""Tables of market runs and of the results they publish.

* ``market_run``: one run of one market (DAM, RUC, FMM, RTD) for one trade
  date: status, timings, the consistency report, the parameter set and
  network model it used, the complete clearing input (a deterministic
  ``.npz`` blob, see :mod:`gridmarket.markets.input_store`) with its SHA-256,
  and the SHA-256 of its published results (:mod:`gridmarket.markets.digest`).
* ``market_award``: per resource and interval, energy (supply positive,
  demand negative), ancillary service awards, commitment and start-up.
* ``market_price``: LMP and its energy (SMEC), congestion (MCC) and loss (MCL)
  parts at each pricing node and aggregated node; ``carried_forward`` marks a
  real-time interval that failed and repeats the last valid prices.
* ``market_reserve_price``: $/MW per product, reserve zone and interval.
* ``market_binding_branch``: each branch at its limit in an interval of a
  priced run (DAM, FMM, RTD): its flow, limit and shadow price.
* ``market_virtual_award``: cleared MW of each virtual bid per hour.
* ``dispatch_instruction``: real-time dispatch MW and expected energy MWh.

Published rows are written in one savepoint after a successful solve, so a
run has either all its rows or none.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from gridmarket.db.base import Base, Quantity, UnitPrice, UtcDateTime


class MarketKind(enum.StrEnum):
    DAM = "DAM"
    """The integrated forward market of the day-ahead market."""
    RUC = "RUC"
    """Residual unit commitment after the IFM (a run of its own, ``parent_run_id`` = the DAM)."""
    FMM = "FMM"
    RTD = "RTD"

    @property
    def interval_market(self) -> Literal["DAM", "FMM", "RTD"]:
        """The calendar market whose interval length this run has (RUC: hourly, as the DAM).

        Example::

            >>> MarketKind.RUC.interval_market
            'DAM'
        """
        return "DAM" if self in (MarketKind.DAM, MarketKind.RUC) else self.value  # type: ignore[return-value]


class RunStatus(enum.StrEnum):
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    """The DAM of the day was cancelled (its rerun deadline passed without a result)."""


class MarketRun(Base):
    __tablename__ = "market_run"
    __table_args__ = (Index("ix_market_run_day", "trade_date", "market", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    market: Mapped[MarketKind] = mapped_column(Enum(MarketKind, native_enum=False, length=8))
    trade_date: Mapped[date] = mapped_column(Date)
    status: Mapped[RunStatus] = mapped_column(Enum(RunStatus, native_enum=False, length=12))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    timings_json: Mapped[str] = mapped_column(Text, default="{}")
    """Seconds per step: ``{"build_input": ..., "ifm": ..., "publish": ...}``."""
    consistency_json: Mapped[str] = mapped_column(Text, default="{}")
    parameter_set_id: Mapped[int] = mapped_column(ForeignKey("market_parameter_set.id"))
    network_model_id: Mapped[int | None] = mapped_column(ForeignKey("network_model.id"))
    solver_options_json: Mapped[str] = mapped_column(Text, default="{}")
    input_blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    input_sha256: Mapped[str | None] = mapped_column(String(64))
    result_sha256: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 of the published awards and prices (rounding: :mod:`gridmarket.markets.digest`)."""
    carried_forward_json: Mapped[str] = mapped_column(Text, default="[]")
    """Real time: the interval indices that failed and carried the last valid result forward."""
    parent_run_id: Mapped[int | None] = mapped_column(ForeignKey("market_run.id"))
    """A RUC run's DAM run; a real-time run's DAM run (its commitment)."""
    rerun_of_id: Mapped[int | None] = mapped_column(ForeignKey("market_run.id"))
    replay_of_id: Mapped[int | None] = mapped_column(ForeignKey("market_run.id"))
    requested_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class MarketAward(Base):
    __tablename__ = "market_award"
    __table_args__ = (Index("ix_market_award_run_scid", "run_id", "scid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("market_run.id"))
    resource_id: Mapped[str] = mapped_column(String(64))
    scid: Mapped[str | None] = mapped_column(String(8))
    interval_start_utc: Mapped[datetime] = mapped_column(UtcDateTime())
    energy_mw: Mapped[Decimal] = mapped_column(Quantity())
    """Supply positive, demand (a load's cleared bid, storage charging) negative."""
    reg_up_mw: Mapped[Decimal] = mapped_column(Quantity())
    reg_down_mw: Mapped[Decimal] = mapped_column(Quantity())
    spin_mw: Mapped[Decimal] = mapped_column(Quantity())
    non_spin_mw: Mapped[Decimal] = mapped_column(Quantity())
    committed: Mapped[bool] = mapped_column(Boolean)
    started: Mapped[bool] = mapped_column(Boolean)


class MarketPrice(Base):
    __tablename__ = "market_price"
    __table_args__ = (Index("ix_market_price_run_node", "run_id", "node", "interval_start_utc"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("market_run.id"))
    node: Mapped[str] = mapped_column(String(64))
    """Pricing node (``ABEL_1_N101``) or aggregated node (``DLAP_AREA1-APND``)."""
    interval_start_utc: Mapped[datetime] = mapped_column(UtcDateTime())
    lmp_usd_per_mwh: Mapped[Decimal] = mapped_column(UnitPrice())
    energy_usd_per_mwh: Mapped[Decimal] = mapped_column(UnitPrice())
    congestion_usd_per_mwh: Mapped[Decimal] = mapped_column(UnitPrice())
    loss_usd_per_mwh: Mapped[Decimal] = mapped_column(UnitPrice())
    carried_forward: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class MarketReservePrice(Base):
    __tablename__ = "market_reserve_price"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("market_run.id"), index=True)
    zone: Mapped[str] = mapped_column(String(32))
    product: Mapped[str] = mapped_column(String(12))
    interval_start_utc: Mapped[datetime] = mapped_column(UtcDateTime())
    price_usd_per_mw: Mapped[Decimal] = mapped_column(UnitPrice())
    carried_forward: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class MarketBindingBranch(Base):
    """A branch whose limit bound the run in one interval (a non-zero shadow price)."""

    __tablename__ = "market_binding_branch"
    __table_args__ = (Index("ix_market_binding_branch_run_interval", "run_id",
                            "interval_start_utc"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("market_run.id"))
    branch: Mapped[str] = mapped_column(String(64))
    """The branch's id in the network model (``A1``, ``CA-1``)."""
    interval_start_utc: Mapped[datetime] = mapped_column(UtcDateTime())
    flow_mw: Mapped[Decimal] = mapped_column(Quantity())
    """From bus to bus positive."""
    limit_mw: Mapped[Decimal] = mapped_column(Quantity())
    shadow_price_usd_per_mwh: Mapped[Decimal] = mapped_column(UnitPrice())
    """What one more MW of limit would save for one hour; never negative."""
    carried_forward: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class MarketVirtualAward(Base):
    __tablename__ = "market_virtual_award"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("market_run.id"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"))
    scid: Mapped[str] = mapped_column(String(8))
    location: Mapped[str] = mapped_column(String(64))
    interval_start_utc: Mapped[datetime] = mapped_column(UtcDateTime())
    mw: Mapped[Decimal] = mapped_column(Quantity())
    """Supply positive, demand negative."""


class DispatchInstruction(Base):
    __tablename__ = "dispatch_instruction"
    __table_args__ = (Index("ix_dispatch_instruction_run_scid", "run_id", "scid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("market_run.id"))
    resource_id: Mapped[str] = mapped_column(String(64))
    scid: Mapped[str | None] = mapped_column(String(8))
    interval_start_utc: Mapped[datetime] = mapped_column(UtcDateTime())
    interval_minutes: Mapped[int] = mapped_column(Integer)
    dispatch_mw: Mapped[Decimal] = mapped_column(Quantity())
    expected_energy_mwh: Mapped[Decimal] = mapped_column(Quantity())
    """``dispatch_mw × interval hours``."""
    carried_forward: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
