"""The RTS-GMLC system as a clearing input, offered at cost (the benchmark and demo case).

Builds a :class:`~gridmarket.clearing.ClearingInput` for one trade day from the
RTS-GMLC source files and the forecasts of that day, as if every unit offered
its registered costs: incremental cost curve above Pmin, minimum-load cost,
hot start-up cost; variable renewables offer their forecast at zero cost
(hydro and rooftop PV, which the data set treats as must-take, are fixed at
their forecast). Demand is the area load forecast spread over the area's
buses by their load shares. Reserve requirements come from the data set's
series: regulation system-wide, spinning per area.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from gridmarket.calendar import MarketCalendar
from gridmarket.clearing import (
    ClearingInput,
    DemandBids,
    Network,
    Penalties,
    Periods,
    ReserveProduct,
    ReserveRequirements,
    SolverSettings,
    Storage,
    UnitOffers,
)
from gridmarket.config import MarketParameters
from gridmarket.network.rts_gmlc import Generator, RtsSystem, read_rts_gmlc
from gridmarket.network.rts_gmlc_timeseries import day_ahead_series

MAX_SEGMENTS = 10
REGULATION_SERIES = {"Reg_Up": ReserveProduct.REG_UP, "Reg_Down": ReserveProduct.REG_DOWN}
SPINNING_PREFIX = "Spin_Up_R"


@dataclass(frozen=True)
class CaseOptions:
    with_network: bool = True
    with_reserves: bool = True
    lossless: bool = True
    branch_rating_scale: float = 1.0
    """Scale branch ratings (below 1 stresses the network so congestion appears)."""
    mip_gap: float | None = None


def rts_network(system: RtsSystem, options: CaseOptions) -> Network:
    """Buses, branches (continuous ratings, optionally scaled) and the HVDC link."""
    buses = [str(bus.bus_id) for bus in system.buses]
    # Without the network the branches stay (the AC system must be connected) unmonitored.
    scale = options.branch_rating_scale if options.with_network else np.inf
    branches = [
        (b.uid, str(b.from_bus), str(b.to_bus), b.x_pu, b.cont_rating_mw * scale)
        for b in system.branches
    ]
    hvdc = [
        (d.uid, str(d.from_bus), str(d.to_bus), -d.max_flow_mw, d.max_flow_mw)
        for d in system.dc_lines
    ]
    return Network.create(
        buses,
        areas=[str(bus.area) for bus in system.buses],
        load_weights=[bus.load_share_mw for bus in system.buses],
        branches=branches,
        resistance_pu=[b.r_pu for b in system.branches],
        hvdc=hvdc if options.with_network else [],
    )


def _series(frame: pl.DataFrame, kind: str, object_id: str, n_periods: int) -> np.ndarray | None:
    values = frame.filter((pl.col("kind") == kind) & (pl.col("object_id") == object_id))
    if values.height == 0:
        return None
    array = values.sort("interval_start_utc")["value_mw"].to_numpy()
    if array.size != n_periods:
        raise ValueError(f"{kind} {object_id}: {array.size} values for {n_periods} periods")
    return array


def _offer_segments(unit: Generator) -> tuple[list[float], list[float]]:
    widths = [s.mw_to - s.mw_from for s in unit.incremental_cost_curve][:MAX_SEGMENTS]
    prices = [s.usd_per_mwh for s in unit.incremental_cost_curve][:MAX_SEGMENTS]
    return widths, prices


def rts_units(
    system: RtsSystem, series: pl.DataFrame, n_periods: int, options: CaseOptions
) -> UnitOffers:
    """Every generating unit (storage and synchronous condensers excluded), at cost."""
    units = [u for u in system.generators if not u.is_storage and u.p_max_mw > 0]
    n = len(units)
    width = np.zeros((n, n_periods, MAX_SEGMENTS))
    price = np.zeros((n, n_periods, MAX_SEGMENTS))
    p_min = np.zeros((n, n_periods))
    p_max = np.zeros((n, n_periods))
    reserve_mw = np.zeros((n, n_periods, len(ReserveProduct)))
    categories_by_product = _certified_categories(system) if options.with_reserves else {}
    for i, unit in enumerate(units):
        forecast = _series(series, "resource_pmax", unit.uid, n_periods)
        if unit.is_variable and forecast is not None:
            available = np.minimum(np.maximum(forecast, 0.0), unit.p_max_mw)
            p_max[i] = available
            p_min[i] = available if unit.is_must_take else 0.0
            width[i, :, 0] = available - p_min[i]
            price[i, :, 0] = unit.vom_usd_per_mwh
        else:
            p_max[i], p_min[i] = unit.p_max_mw, unit.p_min_mw
            segment_mw, segment_price = _offer_segments(unit)
            width[i, :, : len(segment_mw)] = segment_mw
            price[i, :, : len(segment_price)] = segment_price
            # Unused segments repeat the last price so the curve stays monotone.
            price[i, :, len(segment_price) :] = segment_price[-1] if segment_price else 0.0
        for product, categories in categories_by_product.items():
            if unit.category in categories and not unit.is_must_take:
                headroom = p_max[i] - p_min[i]
                reach = unit.ramp_mw_per_min * 10.0
                reserve_mw[i, :, product] = np.minimum(headroom, reach)
    thermal = np.array([not u.is_variable for u in units])
    initial_on = np.array([u.p_min_mw > 0 and not u.is_variable and _starts_on(u) for u in units])
    return UnitOffers.create(
        [u.uid for u in units],
        [str(u.bus_id) for u in units],
        n_periods,
        p_min_mw=p_min,
        p_max_mw=p_max,
        offer_mw=width,
        offer_price_usd_per_mwh=price,
        ramp_up_mw_per_min=[
            max(u.ramp_mw_per_min, 1e-3) if not u.is_variable else np.inf for u in units
        ],
        startup_ramp_mw=[max(u.p_min_mw, u.ramp_mw_per_min * 60.0) for u in units],
        shutdown_ramp_mw=[max(u.p_min_mw, u.ramp_mw_per_min * 60.0) for u in units],
        min_up_periods=[max(u.min_up_hours, 1) for u in units],
        min_down_periods=[max(u.min_down_hours, 1) for u in units],
        startup_cost_usd=[
            u.start_up_cost_usd if t else 0.0 for u, t in zip(units, thermal, strict=True)
        ],
        min_load_cost_usd_per_h=[
            u.no_load_cost_usd_per_hour if t else 0.0 for u, t in zip(units, thermal, strict=True)
        ],
        must_run=~thermal & np.array([u.is_must_take for u in units]),
        initial_on=initial_on | ~thermal,
        initial_output_mw=[
            (u.p_min_mw if on else 0.0) if t else 0.0
            for u, on, t in zip(units, initial_on, thermal, strict=True)
        ],
        reserve_offer_mw=reserve_mw,
        quick_start=[u.category in {"Gas CT", "Oil CT"} for u in units],
    )


def _starts_on(unit: Generator) -> bool:
    # Base-load units (coal, nuclear, steam) start the day on; peakers off.
    return unit.category in {"Coal", "Nuclear", "Oil ST", "Gas CC"}


def _certified_categories(system: RtsSystem) -> dict[ReserveProduct, frozenset[str]]:
    by_product: dict[ReserveProduct, set[str]] = {}
    for reserve in system.reserves:
        if reserve.product in REGULATION_SERIES:
            by_product.setdefault(REGULATION_SERIES[reserve.product], set()).update(
                reserve.eligible_categories
            )
        elif reserve.product.startswith(SPINNING_PREFIX):
            by_product.setdefault(ReserveProduct.SPIN, set()).update(reserve.eligible_categories)
    return {product: frozenset(c) for product, c in by_product.items()}


def rts_reserves(system: RtsSystem, series: pl.DataFrame, n_periods: int) -> ReserveRequirements:
    """Regulation up/down system-wide; spinning per area (``Spin_Up_R<area>``)."""
    areas = sorted({str(bus.area) for bus in system.buses})
    zone_ids = ["SYSTEM", *(f"AREA{a}" for a in areas)]
    zone_areas: list[tuple[str, ...]] = [(), *((a,) for a in areas)]
    requirement = {p: np.zeros((len(zone_ids), n_periods)) for p in ReserveProduct}
    for name, product in REGULATION_SERIES.items():
        values = _series(series, "reserve_requirement", name, n_periods)
        if values is not None:
            requirement[product][0] = values
    for index, area in enumerate(areas, start=1):
        values = _series(series, "reserve_requirement", f"{SPINNING_PREFIX}{area}", n_periods)
        if values is not None:
            requirement[ReserveProduct.SPIN][index] = values
    return ReserveRequirements.create(
        zone_ids,
        zone_areas,
        n_periods,
        reg_up_mw=requirement[ReserveProduct.REG_UP],
        reg_down_mw=requirement[ReserveProduct.REG_DOWN],
        spin_mw=requirement[ReserveProduct.SPIN],
        non_spin_mw=requirement[ReserveProduct.NON_SPIN],
    )


def rts_demand(system: RtsSystem, series: pl.DataFrame, n_periods: int) -> DemandBids:
    """Area load forecasts spread over each area's buses by load share."""
    load_buses = [bus for bus in system.buses if bus.load_share_mw > 0]
    fixed = np.zeros((len(load_buses), n_periods))
    for i, bus in enumerate(load_buses):
        area_load = _series(series, "area_load", str(bus.area), n_periods)
        if area_load is None:
            raise ValueError(f"no load forecast for area {bus.area}")
        fixed[i] = area_load * bus.load_share_mw / system.area_loads[bus.area]
    return DemandBids.create(
        [f"LOAD_{bus.bus_id}" for bus in load_buses],
        [str(bus.bus_id) for bus in load_buses],
        n_periods,
        fixed_mw=fixed,
    )


def rts_storage(system: RtsSystem, n_periods: int) -> Storage | None:
    if not system.storage:
        return None
    units = {u.uid: u for u in system.generators}
    storage = system.storage
    efficiency = [
        float(np.sqrt(s.roundtrip_efficiency)) if s.roundtrip_efficiency else 1.0 for s in storage
    ]
    return Storage.create(
        [s.gen_uid for s in storage],
        [str(units[s.gen_uid].bus_id) for s in storage],
        n_periods,
        charge_max_mw=[s.charge_mw for s in storage],
        discharge_max_mw=[s.discharge_mw for s in storage],
        energy_max_mwh=[s.max_energy_mwh for s in storage],
        initial_energy_mwh=[s.initial_energy_mwh for s in storage],
        final_energy_min_mwh=[s.initial_energy_mwh for s in storage],
        charge_efficiency=efficiency,
        discharge_efficiency=efficiency,
    )


def day_ahead_case(
    source_dir: Path,
    trade_date: date,
    parameters: MarketParameters,
    options: CaseOptions = CaseOptions(),
) -> ClearingInput:
    """The IFM input of ``trade_date`` for the RTS-GMLC system offered at cost.

    Example::

        inp = day_ahead_case(settings.rts_gmlc_dir, date(2020, 7, 15), MarketParameters())
        result = clear_day_ahead(inp)
    """
    system = read_rts_gmlc(source_dir)
    calendar = MarketCalendar(parameters)
    start, end = calendar.trade_day_start_utc(trade_date), calendar.trade_day_end_utc(trade_date)
    series = day_ahead_series(source_dir, start, end)
    n_periods = calendar.hours_in_day(trade_date)
    overrides: dict[str, object] = {"lossless": options.lossless}
    if options.mip_gap is not None:
        overrides["mip_gap"] = options.mip_gap
    return ClearingInput(
        network=rts_network(system, options),
        periods=Periods.uniform(n_periods, 60.0),
        units=rts_units(system, series, n_periods, options),
        demand=rts_demand(system, series, n_periods),
        storage=rts_storage(system, n_periods),
        reserves=rts_reserves(system, series, n_periods) if options.with_reserves else None,
        penalties=Penalties.from_rules(parameters.clearing, parameters.bids),
        settings=SolverSettings.from_rules(parameters.clearing, **overrides),
    )
