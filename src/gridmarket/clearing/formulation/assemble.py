"""Put the families together into one clearing model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridmarket.clearing.formulation.bids import (
    DemandBlock,
    StorageBlock,
    VirtualBlock,
    add_demand,
    add_storage,
    add_virtual_bids,
)
from gridmarket.clearing.formulation.network import NetworkBlock, add_network
from gridmarket.clearing.formulation.reserves import ReserveBlock, add_reserves
from gridmarket.clearing.formulation.units import UnitBlock, add_units
from gridmarket.clearing.inputs import ClearingInput
from gridmarket.clearing.linear_model import FloatArray, IntArray, LinearModel
from gridmarket.network.losses import LossLinearisation


@dataclass
class ClearingModel:
    """A built model and the index blocks to read its solution by family."""

    input: ClearingInput
    model: LinearModel
    network: NetworkBlock
    units: UnitBlock
    reserves: ReserveBlock | None
    demand: DemandBlock
    virtual: VirtualBlock | None
    storage: StorageBlock | None
    integer: bool


def fixed_demand_by_bus(inp: ClearingInput) -> FloatArray:
    """Fixed demand summed per bus ``(bus, period)``."""
    net = inp.network
    bus = net.bus_index(inp.demand.bus_ids, table="DemandBids", field="bus_ids")
    total = np.zeros((net.n_buses, inp.periods.count))
    np.add.at(total, bus, inp.demand.fixed_mw)
    return total


def build_clearing_model(
    inp: ClearingInput, ptdf: FloatArray, losses: LossLinearisation, *, integer: bool = True,
    stable: bool = False, size: IntArray | None = None,
) -> ClearingModel:
    """Build every family of the clearing model; ``integer=False`` relaxes commitment.

    ``ptdf`` is ``(monitored branch, bus)`` to the load-distributed reference.
    With ``stable`` the model's structure does not depend on numbers a dispatch
    run changes between intervals (rows that cannot bind are kept). ``size``
    counts the identical units each unit of ``inp`` stands for.
    """
    model = LinearModel()
    network = add_network(model, inp, ptdf, losses, fixed_demand_by_bus(inp))
    with_reserves = inp.reserves is not None
    units = add_units(model, inp.units, inp.periods, inp.penalties,
                      with_reserves=with_reserves, integer=integer, stable=stable, size=size)
    unit_bus = inp.network.bus_index(inp.units.bus_ids, table="UnitOffers", field="bus_ids")
    network.add_injection(model, units.output, unit_bus, sign=1.0)
    reserves = None
    if inp.reserves is not None:
        reserves = add_reserves(model, inp.units, units, inp.reserves, inp.network, inp.periods,
                                inp.penalties, stable=stable, size=size)
    demand = add_demand(model, inp.demand, inp.network, inp.periods, network, stable=stable)
    virtual = None
    if inp.virtual_bids is not None:
        virtual = add_virtual_bids(model, inp.virtual_bids, inp.network, inp.periods, network,
                                   stable=stable)
    storage = None
    if inp.storage is not None:
        storage = add_storage(model, inp.storage, inp.network, inp.periods, network)
    return ClearingModel(inp, model, network, units, reserves, demand, virtual, storage, integer)
