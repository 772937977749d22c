"""A window of consecutive periods cut out of a longer input (a dispatch interval of a day)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from gridmarket.clearing.inputs.bundle import ClearingInput
from gridmarket.clearing.inputs.periods import Periods


def select_periods(inp: ClearingInput, start: int, stop: int) -> ClearingInput:
    """The input restricted to periods ``start .. stop − 1`` (initial states unchanged).

    Example::

        >>> from gridmarket.clearing.synthetic import two_bus_system
        >>> select_periods(two_bus_system(n_periods=4), 1, 3).periods.count
        2
    """
    return periods_at(inp, np.arange(start, stop))


def periods_at(inp: ClearingInput, indices: np.ndarray) -> ClearingInput:
    """The input of the periods at ``indices``, in that order (a period may repeat).

    Example::

        >>> from gridmarket.clearing.synthetic import two_bus_system
        >>> periods_at(two_bus_system(n_periods=4), np.array([2, 3, 3])).periods.count
        3
    """
    window = np.asarray(indices, dtype=np.intp)
    units = inp.units
    units = replace(
        units,
        **{name: getattr(units, name)[:, window] for name in (
            "p_min_mw", "p_max_mw", "offer_mw", "offer_price_usd_per_mwh",
            "min_load_cost_usd_per_h", "available", "must_run", "reserve_offer_mw",
            "reserve_price_usd_per_mw", "self_schedule_mw")},
    )
    demand = replace(inp.demand, fixed_mw=inp.demand.fixed_mw[:, window],
                     bid_mw=inp.demand.bid_mw[:, window],
                     bid_price_usd_per_mwh=inp.demand.bid_price_usd_per_mwh[:, window])
    virtual = inp.virtual_bids
    if virtual is not None:
        virtual = replace(virtual, bid_mw=virtual.bid_mw[:, window],
                          bid_price_usd_per_mwh=virtual.bid_price_usd_per_mwh[:, window])
    storage = inp.storage
    if storage is not None:
        storage = replace(storage, **{name: getattr(storage, name)[:, window] for name in (
            "charge_max_mw", "discharge_max_mw", "charge_price_usd_per_mwh",
            "discharge_price_usd_per_mwh")})
    reserves = inp.reserves
    if reserves is not None:
        reserves = replace(reserves, requirement_mw=reserves.requirement_mw[:, :, window])
    base = inp.base_case_injection_mw
    return replace(
        inp,
        periods=Periods(inp.periods.duration_minutes[window]),
        units=units,
        demand=demand,
        virtual_bids=virtual,
        storage=storage,
        reserves=reserves,
        base_case_injection_mw=base[:, window] if base is not None else None,
    )
