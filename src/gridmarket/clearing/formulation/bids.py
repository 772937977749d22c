"""Demand, virtual bid and storage families: price-responsive injections at buses.

* Price-sensitive demand segment ``d ≤ bid_mw``, valued at its bid price
  (cost ``−price·d·h``), withdrawn at its bus. Fixed demand is a constant in
  the bus injection rows.
* Virtual supply is a segment offered like a generator's (cost ``price·x·h``,
  injected); virtual demand is bid like a load (cost ``−price·x·h``, withdrawn).
* Storage charges ``c`` and discharges ``d`` within their limits; energy
  ``e_t = e_{t−1} + (η_c·c_t − d_t/η_d)·h_t`` within ``[e_min, e_max]`` and
  ``e_T ≥ e_final``; discharge is offered and charging bid at their prices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridmarket.clearing.formulation.network import NetworkBlock
from gridmarket.clearing.inputs import DemandBids, Network, Periods, Storage, VirtualBids
from gridmarket.clearing.linear_model import IntArray, LinearModel


@dataclass
class DemandBlock:
    served: IntArray
    """``(load, period, segment)`` price-sensitive demand columns."""


@dataclass
class VirtualBlock:
    award: IntArray
    """``(bid, period, segment)`` columns."""


@dataclass
class StorageBlock:
    charge: IntArray
    discharge: IntArray
    energy: IntArray
    energy_rows: IntArray


def add_demand(model: LinearModel, demand: DemandBids, network: Network, periods: Periods,
               net: NetworkBlock, *, stable: bool = False) -> DemandBlock:
    """Add price-sensitive demand segments (all of them with ``stable``, even empty ones)."""
    served = model.add_columns(
        demand.bid_mw.shape, upper=demand.bid_mw,
        cost=-demand.bid_price_usd_per_mwh * periods.hours[None, :, None],
        mask=None if stable else demand.bid_mw > 0,
    )
    bus = network.bus_index(demand.bus_ids, table="DemandBids", field="bus_ids")
    net.add_injection(model, served, bus, sign=-1.0)
    return DemandBlock(served)


def add_virtual_bids(model: LinearModel, bids: VirtualBids, network: Network, periods: Periods,
                     net: NetworkBlock, *, stable: bool = False) -> VirtualBlock:
    """Add virtual supply (injection) and virtual demand (withdrawal) segments."""
    side = np.where(bids.is_supply, 1.0, -1.0)[:, None, None]
    award = model.add_columns(
        bids.bid_mw.shape, upper=bids.bid_mw,
        cost=side * bids.bid_price_usd_per_mwh * periods.hours[None, :, None],
        mask=None if stable else bids.bid_mw > 0,
    )
    bus = network.bus_index(bids.bus_ids, table="VirtualBids", field="bus_ids")
    supply = bids.is_supply
    net.add_injection(model, award[supply], bus[supply], sign=1.0)
    net.add_injection(model, award[~supply], bus[~supply], sign=-1.0)
    return VirtualBlock(award)


def add_storage(model: LinearModel, storage: Storage, network: Network, periods: Periods,
                net: NetworkBlock) -> StorageBlock:
    """Add charge, discharge and state-of-charge variables and the energy balance."""
    k, nt, hours = storage.n_storage, periods.count, periods.hours
    charge = model.add_columns((k, nt), upper=storage.charge_max_mw,
                               cost=-storage.charge_price_usd_per_mwh * hours)
    discharge = model.add_columns((k, nt), upper=storage.discharge_max_mw,
                                  cost=storage.discharge_price_usd_per_mwh * hours)
    last = np.arange(nt)[None, :] == nt - 1
    low = np.where(last, np.maximum(storage.energy_min_mwh, storage.final_energy_min_mwh)[:, None],
                   storage.energy_min_mwh[:, None])
    energy = model.add_columns((k, nt), lower=low, upper=storage.energy_max_mwh[:, None])
    rhs = np.zeros((k, nt))
    rhs[:, 0] = storage.initial_energy_mwh
    rows = model.add_rows((k, nt), lower=rhs, upper=rhs)
    model.add_terms(rows, energy, 1.0)
    model.add_terms(rows[:, 1:], energy[:, :-1], -1.0)
    model.add_terms(rows, charge, -storage.charge_efficiency[:, None] * hours[None, :])
    model.add_terms(rows, discharge, hours[None, :] / storage.discharge_efficiency[:, None])
    bus = network.bus_index(storage.bus_ids, table="Storage", field="bus_ids")
    net.add_injection(model, discharge, bus, sign=1.0)
    net.add_injection(model, charge, bus, sign=-1.0)
    return StorageBlock(charge, discharge, energy, rows)
