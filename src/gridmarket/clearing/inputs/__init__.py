"""Typed, validated input tables of the clearing engine.

Each table is a frozen dataclass of numpy arrays with unit-suffixed names,
validated on construction; a bad value raises :class:`InputError` naming the
table, the row and the field.
"""

from gridmarket.clearing.inputs._checks import InputError
from gridmarket.clearing.inputs.bundle import AggregatedNodes, ClearingInput
from gridmarket.clearing.inputs.demand import DemandBids, VirtualBids
from gridmarket.clearing.inputs.network import Network
from gridmarket.clearing.inputs.penalties import Penalties, SolverSettings
from gridmarket.clearing.inputs.periods import Periods
from gridmarket.clearing.inputs.reserves import (
    DEFAULT_RESPONSE_MINUTES,
    N_PRODUCTS,
    UPWARD_CASCADE,
    ReserveProduct,
    ReserveRequirements,
)
from gridmarket.clearing.inputs.storage import Storage
from gridmarket.clearing.inputs.units import NO_SELF_SCHEDULE, UnitOffers
from gridmarket.clearing.inputs.windows import periods_at, select_periods

__all__ = [
    "DEFAULT_RESPONSE_MINUTES",
    "NO_SELF_SCHEDULE",
    "N_PRODUCTS",
    "UPWARD_CASCADE",
    "AggregatedNodes",
    "ClearingInput",
    "DemandBids",
    "InputError",
    "Network",
    "Penalties",
    "Periods",
    "ReserveProduct",
    "ReserveRequirements",
    "SolverSettings",
    "Storage",
    "UnitOffers",
    "VirtualBids",
    "periods_at",
    "select_periods",
]
