"""Penalty prices and solver settings, taken from the rulebook configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from gridmarket.clearing.inputs._checks import FloatArray, floats, require
from gridmarket.clearing.inputs.reserves import N_PRODUCTS, ReserveProduct
from gridmarket.config import BidRules, ClearingRules

_T = "Penalties"


@dataclass(frozen=True, eq=False)
class Penalties:
    """Prices of relaxing a constraint, in $/MWh (energy) or $/MW (reserve).

    Self-schedules are price-taking quantities: a supply self-schedule of type
    ``k`` is modelled as a segment offered at ``-self_schedule_usd_per_mwh[k]``,
    below every economic bid, so it is curtailed only after every economic
    decrement and in the rulebook's priority order (lowest priority first).

    Example::

        >>> p = Penalties.from_rules()
        >>> p.power_balance_usd_per_mwh, list(p.self_schedule_usd_per_mwh)[:2]
        (2000.0, ['LPT', 'PT'])
    """

    power_balance_usd_per_mwh: float
    branch_overload_usd_per_mwh: float
    reserve_shortfall_usd_per_mw: FloatArray
    """Shape ``(product,)``, see :class:`ReserveProduct`."""
    self_schedule_usd_per_mwh: Mapping[str, float] = field(default_factory=dict)
    """Curtailment price per self-schedule type, in priority order."""

    def __post_init__(self) -> None:
        shortfall = floats(_T, "reserve_shortfall_usd_per_mw",
                           self.reserve_shortfall_usd_per_mw, (N_PRODUCTS,))
        object.__setattr__(self, "reserve_shortfall_usd_per_mw", shortfall)
        require(shortfall >= 0, _T, "reserve_shortfall_usd_per_mw", "must be non-negative")
        require(self.power_balance_usd_per_mwh > 0, _T, "power_balance_usd_per_mwh",
                "must be positive")
        require(self.branch_overload_usd_per_mwh > 0, _T, "branch_overload_usd_per_mwh",
                "must be positive")
        ladder = np.array(list(self.self_schedule_usd_per_mwh.values()), dtype=np.float64)
        require(bool(np.all(np.diff(ladder) > 0)), _T, "self_schedule_usd_per_mwh",
                "must increase with priority (lowest priority first)")

    @classmethod
    def from_rules(
        cls, clearing: ClearingRules | None = None, bids: BidRules | None = None
    ) -> Penalties:
        """Penalties from the rulebook (§7), defaults from :mod:`gridmarket.config`.

        Self-schedule curtailment prices are spread evenly between the price floor
        (every economic offer is at or above it) and the power-balance penalty, in
        the priority order of ``BidRules.self_schedule_priority``: the lowest
        priority type is curtailed first, and all of them before the balance is
        violated.
        """
        clearing = clearing or ClearingRules()
        bids = bids or BidRules()
        balance = float(clearing.power_balance_penalty)
        floor = abs(float(bids.price_floor_usd_per_mwh))
        kinds = bids.self_schedule_priority
        step = (balance - floor) / (len(kinds) + 1)
        ladder = {kind: floor + step * (rank + 1) for rank, kind in enumerate(kinds)}
        regulation = float(clearing.regulation_shortfall_penalty)
        shortfall = np.zeros(N_PRODUCTS)
        shortfall[ReserveProduct.REG_UP] = regulation
        shortfall[ReserveProduct.REG_DOWN] = regulation
        shortfall[ReserveProduct.SPIN] = float(clearing.spinning_shortfall_penalty)
        shortfall[ReserveProduct.NON_SPIN] = float(clearing.non_spinning_shortfall_penalty)
        return cls(
            power_balance_usd_per_mwh=balance,
            branch_overload_usd_per_mwh=float(clearing.branch_overload_penalty),
            reserve_shortfall_usd_per_mw=shortfall,
            self_schedule_usd_per_mwh=ladder,
        )


@dataclass(frozen=True)
class SolverSettings:
    """How the engine solves: optimality gap, time limit, losses, lazy branches.

    ``lazy_branch_constraints`` adds branch limits only once a solution violates
    them (as ISOs do); turning it off adds every monitored branch up front.

    Example::

        >>> SolverSettings.from_rules().mip_gap
        0.001
    """

    mip_gap: float
    time_limit_seconds: float
    lossless: bool
    lazy_branch_constraints: bool = True
    threads: int | None = None

    def __post_init__(self) -> None:
        require(self.mip_gap >= 0, "SolverSettings", "mip_gap", "must be non-negative")
        require(self.time_limit_seconds > 0, "SolverSettings", "time_limit_seconds",
                "must be positive")

    @classmethod
    def from_rules(
        cls, clearing: ClearingRules | None = None, **overrides: object
    ) -> SolverSettings:
        """Settings from the rulebook configuration, with keyword overrides."""
        clearing = clearing or ClearingRules()
        values: dict[str, object] = {
            "mip_gap": clearing.mip_gap,
            "time_limit_seconds": clearing.time_limit_seconds,
            "lossless": clearing.lossless,
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
