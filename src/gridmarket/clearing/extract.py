"""Read schedules, relaxations, binding limits and shadow prices from a solution."""

from __future__ import annotations

import numpy as np
import polars as pl

from gridmarket.clearing.consistency import COMMITMENT_OFF, check_consistency
from gridmarket.clearing.formulation.assemble import ClearingModel
from gridmarket.clearing.formulation.units import LIMIT_FAMILIES
from gridmarket.clearing.highs_session import SolveOutcome
from gridmarket.clearing.inputs import N_PRODUCTS, ReserveProduct
from gridmarket.clearing.inputs._checks import BoolArray, FloatArray, IntArray
from gridmarket.clearing.linear_model import values
from gridmarket.clearing.pricing import compute_prices
from gridmarket.clearing.result import ClearingResult, Relaxations, Schedules, SolverStatistics
from gridmarket.network.ptdf import DcNetwork

# A dual smaller than this ($ per MW of the row, per period) is taken as zero.
DUAL_TOLERANCE = 1e-6


def read_schedules(cm: ClearingModel, x: FloatArray, dc: DcNetwork) -> Schedules:
    """Quantities of every family from column values ``x``."""
    inp = cm.input
    units, nt = inp.units, inp.periods.count
    commitment = values(x, cm.units.commit) > 0.5
    before = np.concatenate([units.initial_on[:, None], commitment[:, :-1]], axis=1)
    output = values(x, cm.units.output)
    cleared = values(x, cm.units.segment)
    above_min = np.clip(output - units.p_min_mw * commitment, 0.0, None)
    top = np.cumsum(units.offer_mw, axis=2)
    offer_segment = np.clip(above_min[:, :, None] - (top - units.offer_mw), 0.0, units.offer_mw)
    curtailed = np.where(units.self_schedule_mw > 0,
                         np.clip(units.self_schedule_mw - output, 0.0, None), 0.0)
    reserve = (values(x, cm.reserves.award) if cm.reserves is not None
               else np.zeros((units.n_units, nt, N_PRODUCTS)))
    demand_segment = values(x, cm.demand.served)
    demand = inp.demand.fixed_mw + demand_segment.sum(axis=2)
    virtual = (values(x, cm.virtual.award) if cm.virtual is not None
               else np.zeros((0, nt, 1)))
    k = inp.storage.n_storage if inp.storage is not None else 0
    charge = values(x, cm.storage.charge) if cm.storage is not None else np.zeros((k, nt))
    discharge = values(x, cm.storage.discharge) if cm.storage is not None else np.zeros((k, nt))
    energy = values(x, cm.storage.energy) if cm.storage is not None else np.zeros((k, nt))
    injection = values(x, cm.network.injection)
    flows = dc.flows(injection, weights=inp.network.reference_distribution)
    losses = cm.network.losses
    return Schedules(
        commitment=commitment,
        startup=commitment & ~before,
        shutdown=~commitment & before,
        output_mw=output,
        offer_segment_mw=offer_segment,
        cleared_segment_mw=cleared,
        self_schedule_curtailed_mw=curtailed,
        reserve_award_mw=reserve,
        demand_served_mw=demand,
        demand_segment_mw=demand_segment,
        virtual_award_mw=virtual,
        storage_charge_mw=charge,
        storage_discharge_mw=discharge,
        storage_energy_mwh=energy,
        hvdc_flow_mw=values(x, cm.network.hvdc),
        net_injection_mw=injection,
        branch_flow_mw=flows.reshape(inp.network.n_branches, nt),
        losses_mw=injection.sum(axis=0),
        loss_factor=losses.loss_factor,
        loss_offset_mw=losses.offset_mw,
    )


def read_relaxations(cm: ClearingModel, x: FloatArray) -> Relaxations:
    """Penalised slacks: balance shortage/surplus, reserve shortfall, branch overload."""
    inp = cm.input
    nt = inp.periods.count
    overload = np.zeros((inp.network.n_branches, nt))
    slack = values(x, cm.network.overload)
    overload[cm.network.monitored] = slack[:, :, 0] + slack[:, :, 1]
    nz = inp.reserves.n_zones if inp.reserves is not None else 0
    shortfall = (values(x, cm.reserves.shortfall) if cm.reserves is not None
                 else np.zeros((N_PRODUCTS, nz, nt)))
    return Relaxations(
        shortage_mw=values(x, cm.network.shortage),
        surplus_mw=values(x, cm.network.surplus),
        reserve_shortfall_mw=shortfall,
        branch_overload_mw=overload,
    )


def read_unit_limits(cm: ClearingModel, outcome: SolveOutcome,
                     commitment: BoolArray) -> dict[str, BoolArray]:
    """Where each unit limit binds (non-zero dual), plus where the unit is off."""
    limits: dict[str, BoolArray] = {COMMITMENT_OFF: ~commitment}
    for name in LIMIT_FAMILIES:
        rows = cm.units.rows[name]
        limits[name] = np.asarray(np.abs(values(outcome.row_dual, rows)) > DUAL_TOLERANCE)
    if cm.reserves is not None:
        dual = np.abs(values(outcome.row_dual, cm.reserves.online_rows))
        limits["reserve_online"] = np.asarray((dual > DUAL_TOLERANCE).any(axis=2))
    return limits


def read_binding(cm: ClearingModel, outcome: SolveOutcome) -> pl.DataFrame:
    """Rows with a non-zero dual, as ``family, element, period, shadow_price``.

    Shadow prices are per MW for one hour ($/MWh or $/MW): the change of the
    objective for one more MW of the row's limit, divided by the period length.
    """
    inp = cm.input
    hours = inp.periods.hours
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def add(family: str, rows: IntArray, names: np.ndarray) -> None:
        dual = values(outcome.row_dual, rows)
        period_axis = rows.ndim - 1
        hit = np.nonzero((np.abs(dual) > DUAL_TOLERANCE) & (rows >= 0))
        if not hit[0].size:
            return
        period = hit[period_axis]
        element = names[hit[0]] if rows.ndim > 1 else np.full(period.size, "SYSTEM")
        parts.append((np.full(period.size, family), element.astype(str),
                      period.astype(np.int64), dual[hit] / hours[period]))

    add("power_balance", cm.network.balance_rows, np.array(["SYSTEM"]))
    add("branch", cm.network.branch_rows, inp.network.branch_ids[cm.network.monitored])
    if cm.reserves is not None and inp.reserves is not None:
        for product in ReserveProduct:
            add(f"reserve_{product.name.lower()}", cm.reserves.requirement_rows[product],
                inp.reserves.zone_ids)
    for name in LIMIT_FAMILIES:
        add(f"unit_{name}", cm.units.rows[name], inp.units.unit_ids)
    columns = zip(*parts, strict=True) if parts else ((), (), (), ())
    family, element, period, price = (np.concatenate(c) if parts else np.zeros(0)
                                      for c in columns)
    return pl.DataFrame({"family": family, "element": element, "period": period,
                         "shadow_price": price},
                        schema={"family": pl.String, "element": pl.String,
                                "period": pl.Int64, "shadow_price": pl.Float64})


def read_result(cm: ClearingModel, dc: DcNetwork, outcome: SolveOutcome,
                statistics: SolverStatistics) -> ClearingResult:
    """The full result of a solved LP (a pricing or dispatch run), checked for consistency."""
    commitment = values(outcome.col_value, cm.units.commit) > 0.5
    schedules = read_schedules(cm, outcome.col_value, dc)
    prices = compute_prices(cm, outcome)
    relaxations = read_relaxations(cm, outcome.col_value)
    unit_limits = read_unit_limits(cm, outcome, commitment)
    return ClearingResult(
        input=cm.input,
        schedules=schedules,
        prices=prices,
        relaxations=relaxations,
        binding_constraints=read_binding(cm, outcome),
        unit_limits=unit_limits,
        statistics=statistics,
        consistency=check_consistency(cm.input, schedules, prices, relaxations, unit_limits),
    )
