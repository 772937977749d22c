"""The typed result of a market run: schedules, awards, prices by part, diagnostics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

from gridmarket.clearing.consistency import ConsistencyReport
from gridmarket.clearing.inputs import ClearingInput, ReserveProduct
from gridmarket.clearing.inputs._checks import BoolArray, FloatArray
from gridmarket.clearing.mip_progress import MipProgressPoint


@dataclass(frozen=True, eq=False)
class Prices:
    """Prices per bus and period ($/MWh) by part, and reserve prices ($/MW per hour).

    ``lmp = smec + mcc + mcl`` holds exactly (the LMP is computed as the sum).
    ``nodal_dual_usd_per_mwh`` is the price read independently from each bus's
    balance row; the consistency report compares the two.
    """

    lmp_usd_per_mwh: FloatArray
    smec_usd_per_mwh: FloatArray
    mcc_usd_per_mwh: FloatArray
    mcl_usd_per_mwh: FloatArray
    nodal_dual_usd_per_mwh: FloatArray
    reserve_usd_per_mw: FloatArray
    """Shape ``(product, zone, period)``."""
    aggregated_lmp_usd_per_mwh: FloatArray
    """Shape ``(aggregated node, period)``: weighted averages of bus LMPs."""


@dataclass(frozen=True, eq=False)
class Schedules:
    """Cleared quantities; shapes follow the input tables (element, period, ...)."""

    commitment: BoolArray
    startup: BoolArray
    shutdown: BoolArray
    output_mw: FloatArray
    offer_segment_mw: FloatArray
    """Accepted MW per offer-curve segment above ``Pmin`` ``(unit, period, segment)``."""
    cleared_segment_mw: FloatArray
    """As modelled: segment 0 is the self-schedule, then the cut curve (see units family)."""
    self_schedule_curtailed_mw: FloatArray
    reserve_award_mw: FloatArray
    """Shape ``(unit, period, product)``."""
    demand_served_mw: FloatArray
    """Fixed plus price-sensitive demand served ``(load, period)``."""
    demand_segment_mw: FloatArray
    virtual_award_mw: FloatArray
    storage_charge_mw: FloatArray
    storage_discharge_mw: FloatArray
    storage_energy_mwh: FloatArray
    hvdc_flow_mw: FloatArray
    net_injection_mw: FloatArray
    branch_flow_mw: FloatArray
    losses_mw: FloatArray
    """Linearised system losses per period (the sum of net injections)."""
    loss_factor: FloatArray
    """Marginal loss factors used ``(bus, period)`` (zero when lossless)."""
    loss_offset_mw: FloatArray
    """Loss offset of the linearised balance ``(period,)``."""


@dataclass(frozen=True, eq=False)
class Relaxations:
    """Penalised violations: reported, never silent."""

    shortage_mw: FloatArray
    surplus_mw: FloatArray
    reserve_shortfall_mw: FloatArray
    """``(product, zone, period)`` shortfall of each product."""
    branch_overload_mw: FloatArray
    """``(branch, period)``."""

    @property
    def any(self) -> bool:
        tol = 1e-6
        return bool(max(self.shortage_mw.max(initial=0), self.surplus_mw.max(initial=0),
                        self.reserve_shortfall_mw.max(initial=0),
                        self.branch_overload_mw.max(initial=0)) > tol)


@dataclass(frozen=True)
class SolverStatistics:
    """Timings and sizes of one run.

    ``screening_*`` is the lazy branch loop on the LP relaxation, ``lazy_iterations``
    the MIP solves (1 when screening found every binding branch),
    ``pricing_lazy_iterations`` the pricing LP solves.
    """

    build_seconds: float
    screening_seconds: float
    solve_seconds: float
    pricing_seconds: float
    total_seconds: float
    mip_gap: float | None
    objective_usd: float
    screening_iterations: int
    lazy_iterations: int
    pricing_lazy_iterations: int
    branch_rows: int
    n_columns: int
    n_rows: int
    n_integer: int
    status: str
    start_seconds: float = 0.0
    """Time spent finding the MIP's starting commitment (included in ``solve_seconds``)."""
    start_objective_usd: float | None = None
    """Objective of that starting commitment (None: the MIP started without one)."""
    mip_progress: tuple[MipProgressPoint, ...] = ()
    """Bounds of the (last) MIP over time, in seconds since the run started."""

    def seconds_to_gap(self, gap: float) -> float | None:
        """Seconds from the start of the run until the MIP gap reached ``gap``."""
        return next((p.seconds for p in self.mip_progress if p.gap <= gap), None)


@dataclass(frozen=True, eq=False)
class ClearingResult:
    """Everything a market run produced.

    Example::

        >>> from gridmarket.clearing import clear_day_ahead
        >>> from gridmarket.clearing.synthetic import two_bus_system
        >>> result = clear_day_ahead(two_bus_system(limit_mw=100.0))
        >>> result.prices.lmp_usd_per_mwh[:, 0].round(2).tolist(), result.consistency.ok
        ([10.0, 30.0], True)
    """

    input: ClearingInput
    schedules: Schedules
    prices: Prices
    relaxations: Relaxations
    binding_constraints: pl.DataFrame
    """Columns ``family, element, period, shadow_price`` for every row with a non-zero dual."""
    unit_limits: Mapping[str, BoolArray]
    """Binding unit limits by family name, each ``(unit, period)``."""
    statistics: SolverStatistics
    consistency: ConsistencyReport

    def price_frame(self) -> pl.DataFrame:
        """Bus prices as a long table: ``bus, period, lmp, smec, mcc, mcl`` ($/MWh)."""
        p = self.prices
        buses = self.input.network.bus_ids
        nb, nt = p.lmp_usd_per_mwh.shape
        return pl.DataFrame({
            "bus": np.repeat(buses, nt),
            "period": np.tile(np.arange(nt), nb),
            "lmp_usd_per_mwh": p.lmp_usd_per_mwh.reshape(-1),
            "smec_usd_per_mwh": np.tile(p.smec_usd_per_mwh, nb),
            "mcc_usd_per_mwh": p.mcc_usd_per_mwh.reshape(-1),
            "mcl_usd_per_mwh": p.mcl_usd_per_mwh.reshape(-1),
        })

    def reserve_price_frame(self) -> pl.DataFrame:
        """Reserve prices as a long table: ``product, zone, period, price_usd_per_mw``."""
        prices = self.prices.reserve_usd_per_mw
        n_p, nz, nt = prices.shape
        zones = (self.input.reserves.zone_ids if self.input.reserves is not None
                 else np.zeros(0, dtype=str))
        names = np.array([p.name.lower() for p in ReserveProduct])
        return pl.DataFrame({
            "product": np.repeat(names, nz * nt),
            "zone": np.tile(np.repeat(zones, nt), n_p),
            "period": np.tile(np.arange(nt), n_p * nz),
            "price_usd_per_mw": prices.reshape(-1),
        })
