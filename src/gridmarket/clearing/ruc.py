"""Residual unit commitment (RUC): enough physical capacity for the ISO's forecast.

After the IFM, the cleared physical demand may fall short of the ISO's own
forecast (virtual supply, under-scheduled load). RUC re-runs the commitment
against the forecast with physical resources only:

* every unit committed by the IFM stays on; the ancillary services it was
  awarded stay held (upward awards lower its Pmax, regulation down raises its
  Pmin);
* energy up to the IFM schedule costs nothing, capacity above it costs the RUC
  availability price ($/MW per hour); start-up and minimum-load costs count as
  in the IFM, so RUC commits the cheapest extra units;
* no virtual bids, no price-sensitive demand, no reserve requirements; storage
  is available at zero prices;
* the same network and branch limits.

Example::

    >>> from gridmarket.clearing.synthetic import two_bus_system
    >>> from gridmarket.clearing.ifm import clear_day_ahead
    >>> inp = two_bus_system(limit_mw=500.0, demand_mw=100.0)
    >>> ifm = clear_day_ahead(inp)
    >>> ruc = clear_residual_unit_commitment(inp, ifm, forecast_demand_mw=[[260.0]],
    ...                                      ruc_price_usd_per_mw=[1.0, 2.0])
    >>> ruc.capacity_award_mw[:, 0].round(1).tolist()
    [100.0, 60.0]
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from gridmarket.clearing.ifm import clear_day_ahead
from gridmarket.clearing.inputs import (
    NO_SELF_SCHEDULE,
    ClearingInput,
    DemandBids,
    ReserveProduct,
)
from gridmarket.clearing.inputs._checks import BoolArray, FloatArray
from gridmarket.clearing.result import ClearingResult


@dataclass(frozen=True, eq=False)
class RucResult:
    """The RUC run, what it committed beyond the IFM, and its capacity awards."""

    result: ClearingResult
    extra_commitment: BoolArray
    """``(unit, period)``: on in RUC, off in the IFM."""
    capacity_award_mw: FloatArray
    """``(unit, period)``: RUC schedule above the IFM schedule."""


def clear_residual_unit_commitment(
    ifm_input: ClearingInput,
    ifm_result: ClearingResult,
    forecast_demand_mw: npt.ArrayLike,
    *,
    ruc_price_usd_per_mw: npt.ArrayLike = 0.0,
) -> RucResult:
    """Commit extra capacity so physical supply meets ``forecast_demand_mw`` ``(load, period)``.

    ``ruc_price_usd_per_mw`` is each unit's RUC availability bid (scalar,
    ``(unit,)`` or ``(unit, period)``).
    """
    ruc_input = ruc_clearing_input(ifm_input, ifm_result, forecast_demand_mw,
                                   ruc_price_usd_per_mw=ruc_price_usd_per_mw)
    result = clear_day_ahead(ruc_input)
    ifm = ifm_result.schedules
    return RucResult(
        result=result,
        extra_commitment=result.schedules.commitment & ~ifm.commitment,
        capacity_award_mw=np.clip(result.schedules.output_mw - ifm.output_mw, 0.0, None),
    )


def ruc_clearing_input(
    ifm_input: ClearingInput,
    ifm_result: ClearingResult,
    forecast_demand_mw: npt.ArrayLike,
    *,
    ruc_price_usd_per_mw: npt.ArrayLike = 0.0,
) -> ClearingInput:
    """The RUC problem as a clearing input (see the module description)."""
    units = ifm_input.units
    ifm = ifm_result.schedules
    n, nt = units.n_units, ifm_input.periods.count
    awards = ifm.reserve_award_mw
    upward = (awards[:, :, ReserveProduct.REG_UP] + awards[:, :, ReserveProduct.SPIN]
              + np.where(ifm.commitment, awards[:, :, ReserveProduct.NON_SPIN], 0.0))
    p_max = np.maximum(units.p_max_mw - upward, units.p_min_mw)
    p_min = np.minimum(units.p_min_mw + awards[:, :, ReserveProduct.REG_DOWN], p_max)
    scheduled = np.clip(ifm.output_mw, p_min, p_max) - p_min  # energy already bought
    price = np.broadcast_to(_unit_period(ruc_price_usd_per_mw, n), (n, nt))
    ruc_units = replace(
        units,
        p_min_mw=p_min,
        p_max_mw=p_max,
        offer_mw=np.stack([scheduled, p_max - p_min - scheduled], axis=2),
        offer_price_usd_per_mwh=np.stack([np.zeros((n, nt)), price], axis=2),
        must_run=units.must_run | ifm.commitment,
        reserve_offer_mw=np.zeros_like(units.reserve_offer_mw),
        reserve_price_usd_per_mw=np.zeros_like(units.reserve_price_usd_per_mw),
        self_schedule_mw=np.zeros((n, nt)),
        self_schedule_type=np.full(n, NO_SELF_SCHEDULE, dtype=np.str_),
    )
    demand = ifm_input.demand
    ruc_demand = DemandBids.create(demand.load_ids.tolist(), demand.bus_ids.tolist(), nt,
                                   fixed_mw=np.asarray(forecast_demand_mw, dtype=np.float64))
    storage = ifm_input.storage
    if storage is not None:
        zero = np.zeros_like(storage.charge_price_usd_per_mwh)
        storage = replace(storage, charge_price_usd_per_mwh=zero,
                          discharge_price_usd_per_mwh=zero)
    return replace(ifm_input, units=ruc_units, demand=ruc_demand, virtual_bids=None,
                   reserves=None, storage=storage)


def _unit_period(value: npt.ArrayLike, n: int) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    return array[:, None] if array.ndim == 1 and array.size == n else array

