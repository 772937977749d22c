"""The RTS-GMLC system as a clearing input, offered at cost (the benchmark and demo case).

Builds a :class:`~gridmarket.clearing.ClearingInput` for one trade day from the
RTS-GMLC source files and the forecasts of that day, as if every unit offered
its registered costs: incremental cost curve above Pmin, minimum-load cost,
hot start-up cost; variable renewables offer their forecast at zero cost
(hydro and rooftop PV, which the data set treats as must-take, are fixed at
their forecast). Demand is the area load forecast spread over the area's
buses by their load shares. Reserve requirements come from the data set's
series: regulation system-wide, spinning per area, offered by the unit
categories ``reserves.csv`` makes eligible.

The same pieces build the real-time case (:mod:`gridmarket.markets.rts_gmlc_realtime`)
from the 5-minute series.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
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
RESERVE_RESPONSE_MINUTES = 10.0
# Base-load units (coal, nuclear, steam, combined cycles) start the day on; peakers off.
STARTS_ON = frozenset({"Coal", "Nuclear", "Oil ST", "Gas CC"})
QUICK_START = frozenset({"Gas CT", "Oil CT"})


@dataclass(frozen=True)
class CaseOptions:
    """How the case is built.

    Example::

        >>> CaseOptions(mip_gap=0.01).lossless
        True
    """

    with_network: bool = True
    with_reserves: bool = True
    lossless: bool = True
    branch_rating_scale: float = 1.0
    """Scale branch ratings (below 1 stresses the network so congestion appears)."""
    mip_gap: float | None = None
    time_limit_seconds: float | None = None


class SeriesTable:
    """The long series frame as ``(kind, object_id) → values in time order``.

    Example::

        >>> frame = pl.DataFrame({"interval_start_utc": [2, 1], "kind": ["area_load"] * 2,
        ...                       "object_id": ["1", "1"], "value_mw": [20.0, 10.0]})
        >>> SeriesTable(frame, 2).get("area_load", "1").tolist()
        [10.0, 20.0]
    """

    def __init__(self, frame: pl.DataFrame, n_periods: int) -> None:
        self.n_periods = n_periods
        self._values: dict[tuple[str, str], np.ndarray] = {}
        ordered = frame.sort("kind", "object_id", "interval_start_utc")
        for (kind, object_id), part in ordered.group_by(["kind", "object_id"],
                                                        maintain_order=True):
            values = part["value_mw"].to_numpy()
            if values.size != n_periods:
                raise ValueError(f"{kind} {object_id}: {values.size} values for "
                                 f"{n_periods} periods")
            self._values[(str(kind), str(object_id))] = values

    def get(self, kind: str, object_id: str) -> np.ndarray | None:
        return self._values.get((kind, object_id))


def rts_network(system: RtsSystem, options: CaseOptions) -> Network:
    """Buses, branches (continuous ratings, optionally scaled) and the HVDC link."""
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
        [str(bus.bus_id) for bus in system.buses],
        areas=[str(bus.area) for bus in system.buses],
        load_weights=[bus.load_share_mw for bus in system.buses],
        branches=branches,
        resistance_pu=[b.r_pu for b in system.branches],
        hvdc=hvdc if options.with_network else [],
    )


def market_units(system: RtsSystem) -> list[Generator]:
    """The units that take part: every generator with capacity, storage excluded."""
    return [u for u in system.generators if not u.is_storage and u.p_max_mw > 0]


def _offer_segments(unit: Generator) -> tuple[list[float], list[float]]:
    widths = [s.mw_to - s.mw_from for s in unit.incremental_cost_curve][:MAX_SEGMENTS]
    prices = [s.usd_per_mwh for s in unit.incremental_cost_curve][:MAX_SEGMENTS]
    return widths, prices


def rts_units(system: RtsSystem, series: SeriesTable, options: CaseOptions, *,
              period_minutes: float = 60.0) -> UnitOffers:
    """Every generating unit (storage and synchronous condensers excluded), at cost.

    Start-up and shut-down ramps are what a unit reaches in one period of
    ``period_minutes`` (at least Pmin).
    """
    units = market_units(system)
    n, nt = len(units), series.n_periods
    width = np.zeros((n, nt, MAX_SEGMENTS))
    price = np.zeros((n, nt, MAX_SEGMENTS))
    p_min = np.zeros((n, nt))
    p_max = np.zeros((n, nt))
    reserve_mw = np.zeros((n, nt, len(ReserveProduct)))
    categories_by_product = _certified_categories(system) if options.with_reserves else {}
    for i, unit in enumerate(units):
        forecast = series.get("resource_pmax", unit.uid)
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
                reach = unit.ramp_mw_per_min * RESERVE_RESPONSE_MINUTES
                reserve_mw[i, :, product] = np.minimum(p_max[i] - p_min[i], reach)
    thermal = np.array([not u.is_variable for u in units])
    initial_on = np.array([u.p_min_mw > 0 and t and u.category in STARTS_ON
                           for u, t in zip(units, thermal, strict=True)])
    ramp = np.array([u.ramp_mw_per_min for u in units])
    p_min_static = np.array([u.p_min_mw for u in units])
    transition = np.maximum(p_min_static, ramp * period_minutes)
    return UnitOffers.create(
        [u.uid for u in units],
        [str(u.bus_id) for u in units],
        nt,
        p_min_mw=p_min,
        p_max_mw=p_max,
        offer_mw=width,
        offer_price_usd_per_mwh=price,
        ramp_up_mw_per_min=np.where(thermal, np.maximum(ramp, 1e-3), np.inf),
        startup_ramp_mw=transition,
        shutdown_ramp_mw=transition,
        min_up_periods=[max(round(u.min_up_hours * 60 / period_minutes), 1) for u in units],
        min_down_periods=[max(round(u.min_down_hours * 60 / period_minutes), 1) for u in units],
        startup_cost_usd=np.where(thermal, [u.start_up_cost_usd for u in units], 0.0),
        min_load_cost_usd_per_h=np.where(thermal, [u.no_load_cost_usd_per_hour for u in units],
                                         0.0),
        must_run=~thermal & np.array([u.is_must_take for u in units]),
        initial_on=initial_on | ~thermal,
        initial_output_mw=np.where(initial_on, p_min_static, 0.0),
        reserve_offer_mw=reserve_mw,
        quick_start=[u.category in QUICK_START for u in units],
    )


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


def rts_reserves(system: RtsSystem, series: SeriesTable) -> ReserveRequirements:
    """Regulation up/down system-wide; spinning per area (``Spin_Up_R<area>``)."""
    areas = sorted({str(bus.area) for bus in system.buses})
    zone_ids = ["SYSTEM", *(f"AREA{a}" for a in areas)]
    zone_areas: list[tuple[str, ...]] = [(), *((a,) for a in areas)]
    nt = series.n_periods
    requirement = {p: np.zeros((len(zone_ids), nt)) for p in ReserveProduct}
    for name, product in REGULATION_SERIES.items():
        values = series.get("reserve_requirement", name)
        if values is not None:
            requirement[product][0] = values
    for index, area in enumerate(areas, start=1):
        values = series.get("reserve_requirement", f"{SPINNING_PREFIX}{area}")
        if values is not None:
            requirement[ReserveProduct.SPIN][index] = values
    return ReserveRequirements.create(
        zone_ids,
        zone_areas,
        nt,
        reg_up_mw=requirement[ReserveProduct.REG_UP],
        reg_down_mw=requirement[ReserveProduct.REG_DOWN],
        spin_mw=requirement[ReserveProduct.SPIN],
        non_spin_mw=requirement[ReserveProduct.NON_SPIN],
    )


def rts_demand(system: RtsSystem, series: SeriesTable) -> DemandBids:
    """Area load forecasts spread over each area's buses by load share."""
    load_buses = [bus for bus in system.buses if bus.load_share_mw > 0]
    area_load = {}
    for area in system.areas:
        values = series.get("area_load", str(area))
        if values is None:
            raise ValueError(f"no load forecast for area {area}")
        area_load[area] = values
    share = np.array([bus.load_share_mw / system.area_loads[bus.area] for bus in load_buses])
    fixed = np.stack([area_load[bus.area] for bus in load_buses]) * share[:, None]
    return DemandBids.create(
        [f"LOAD_{bus.bus_id}" for bus in load_buses],
        [str(bus.bus_id) for bus in load_buses],
        series.n_periods,
        fixed_mw=fixed,
    )


def rts_storage(system: RtsSystem, n_periods: int) -> Storage | None:
    """The battery (hydro and CSP stores are modelled through their units' forecasts)."""
    batteries = [s for s in system.storage if s.unit_type == "STORAGE"] or list(system.storage)
    if not batteries:
        return None
    units = {u.uid: u for u in system.generators}
    efficiency = [
        float(np.sqrt(s.roundtrip_efficiency)) if s.roundtrip_efficiency else 1.0
        for s in batteries
    ]
    return Storage.create(
        [s.gen_uid for s in batteries],
        [str(units[s.gen_uid].bus_id) for s in batteries],
        n_periods,
        charge_max_mw=[s.charge_mw for s in batteries],
        discharge_max_mw=[s.discharge_mw for s in batteries],
        energy_max_mwh=[s.max_energy_mwh for s in batteries],
        initial_energy_mwh=[s.initial_energy_mwh for s in batteries],
        final_energy_min_mwh=[s.initial_energy_mwh for s in batteries],
        charge_efficiency=efficiency,
        discharge_efficiency=efficiency,
    )


def solver_settings(parameters: MarketParameters, options: CaseOptions) -> SolverSettings:
    overrides: dict[str, object] = {"lossless": options.lossless}
    if options.mip_gap is not None:
        overrides["mip_gap"] = options.mip_gap
    if options.time_limit_seconds is not None:
        overrides["time_limit_seconds"] = options.time_limit_seconds
    return SolverSettings.from_rules(parameters.clearing, **overrides)


def trade_day_utc(parameters: MarketParameters, trade_date: date) -> tuple[datetime, datetime]:
    """UTC start and end of the trade day."""
    calendar = MarketCalendar(parameters)
    return calendar.trade_day_start_utc(trade_date), calendar.trade_day_end_utc(trade_date)


def day_ahead_case(
    source_dir: Path,
    trade_date: date,
    parameters: MarketParameters,
    options: CaseOptions = CaseOptions(),
) -> ClearingInput:
    """The IFM input of ``trade_date`` for the RTS-GMLC system offered at cost.

    Example::

        >>> inp = day_ahead_case(rts_dir, date(2020, 7, 15), MarketParameters())  # doctest: +SKIP
        >>> result = clear_day_ahead(inp)  # doctest: +SKIP
    """
    system = read_rts_gmlc(source_dir)
    start, end = trade_day_utc(parameters, trade_date)
    n_periods = MarketCalendar(parameters).hours_in_day(trade_date)
    series = SeriesTable(day_ahead_series(source_dir, start, end), n_periods)
    return ClearingInput(
        network=rts_network(system, options),
        periods=Periods.uniform(n_periods, 60.0),
        units=rts_units(system, series, options),
        demand=rts_demand(system, series),
        storage=rts_storage(system, n_periods),
        reserves=rts_reserves(system, series) if options.with_reserves else None,
        penalties=Penalties.from_rules(parameters.clearing, parameters.bids),
        settings=solver_settings(parameters, options),
    )
