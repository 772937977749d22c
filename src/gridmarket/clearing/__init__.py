"""The market clearing engine. Pure library: typed input in, typed result out; no database."""

from gridmarket.clearing.dispatch import DispatchModel
from gridmarket.clearing.highs_session import ClearingFailed
from gridmarket.clearing.ifm import clear_day_ahead
from gridmarket.clearing.inputs import (
    AggregatedNodes,
    ClearingInput,
    DemandBids,
    InputError,
    Network,
    Penalties,
    Periods,
    ReserveProduct,
    ReserveRequirements,
    SolverSettings,
    Storage,
    UnitOffers,
    VirtualBids,
    periods_at,
    select_periods,
)
from gridmarket.clearing.result import ClearingResult
from gridmarket.clearing.ruc import RucResult, clear_residual_unit_commitment

__all__ = [
    "AggregatedNodes",
    "ClearingFailed",
    "ClearingInput",
    "ClearingResult",
    "DemandBids",
    "DispatchModel",
    "InputError",
    "Network",
    "Penalties",
    "Periods",
    "ReserveProduct",
    "ReserveRequirements",
    "RucResult",
    "SolverSettings",
    "Storage",
    "UnitOffers",
    "VirtualBids",
    "clear_day_ahead",
    "clear_residual_unit_commitment",
    "periods_at",
    "select_periods",
]
