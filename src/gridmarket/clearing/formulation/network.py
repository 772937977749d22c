"""Network family: bus injections, system balance with losses, HVDC, branch limits.

Each bus ``b`` has a free net-injection variable defined by

    inj_b,t − Σ(resource injections at b) = −fixed_demand_b,t          (→ −LMP·h)

The system balance with linearised losses (see :mod:`gridmarket.network.losses`):

    Σ_b (1 − LF_b,t)·inj_b,t + shortage_t − surplus_t = loss_offset_t   (→ SMEC·h)

Branch limits use PTDFs to the load-distributed reference and are added lazily:

    −F_l ≤ Σ_b PTDF_l,b·inj_b,t − over⁺ + over⁻ ≤ F_l                 (→ shadow price·h)

Balance and overload slacks carry the rulebook penalties. The shortage/surplus
slacks sit at the distributed reference, so they move no flow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridmarket.clearing.inputs import ClearingInput
from gridmarket.clearing.linear_model import FloatArray, IntArray, LinearModel
from gridmarket.network.losses import LossLinearisation

# Flows within this many MW of a limit count as respecting it (solver tolerance).
FLOW_TOLERANCE_MW = 1e-4
# Share of a limit above which a flow is added with a violated one of the same branch.
NEAR_LIMIT = 0.9
# PTDF entries smaller than this are dropped from branch rows (numerical noise).
PTDF_ZERO = 1e-9


@dataclass
class NetworkBlock:
    """Indices of the network family and the data its rows were built from."""

    injection: IntArray
    injection_rows: IntArray
    balance_rows: IntArray
    shortage: IntArray
    surplus: IntArray
    hvdc: IntArray
    monitored: IntArray
    ptdf: FloatArray
    limit_mw: FloatArray
    overload: IntArray
    branch_rows: IntArray
    losses: LossLinearisation

    def add_injection(
        self, model: LinearModel, cols: IntArray, bus: IntArray, sign: float
    ) -> None:
        """Count resource columns ``(element, period, ...)`` at buses ``(element,)``."""
        t = np.arange(self.injection_rows.shape[1])
        rows = self.injection_rows[bus[:, None], t[None, :]]
        rows = rows.reshape(rows.shape + (1,) * (cols.ndim - 2))
        model.add_terms(rows, cols, -sign)


def add_network(
    model: LinearModel,
    inp: ClearingInput,
    ptdf: FloatArray,
    losses: LossLinearisation,
    fixed_demand_mw: FloatArray,
) -> NetworkBlock:
    """Add injections, balance, HVDC and branch rows (none yet, if they are lazy).

    ``ptdf`` has one row per monitored branch (to the load-distributed reference).
    """
    net, hours = inp.network, inp.periods.hours
    nb, nt = net.n_buses, inp.periods.count
    penalty = inp.penalties
    injection = model.add_columns((nb, nt), lower=-np.inf, upper=np.inf)
    injection_rows = model.add_rows((nb, nt), lower=-fixed_demand_mw, upper=-fixed_demand_mw)
    model.add_terms(injection_rows, injection, 1.0)

    balance_rows = model.add_rows((nt,), lower=losses.offset_mw, upper=losses.offset_mw)
    model.add_terms(balance_rows[None, :], injection, 1.0 - losses.loss_factor)
    shortage = model.add_columns((nt,), cost=penalty.power_balance_usd_per_mwh * hours)
    surplus = model.add_columns((nt,), cost=penalty.power_balance_usd_per_mwh * hours)
    model.add_terms(balance_rows, shortage, 1.0)
    model.add_terms(balance_rows, surplus, -1.0)

    hvdc = model.add_columns((net.n_hvdc, nt), lower=net.hvdc_min_mw[:, None],
                             upper=net.hvdc_max_mw[:, None])
    t = np.arange(nt)[None, :]
    model.add_terms(injection_rows[net.hvdc_from_index[:, None], t], hvdc, 1.0)
    model.add_terms(injection_rows[net.hvdc_to_index[:, None], t], hvdc, -1.0)

    monitored = net.monitored_branches
    overload = model.add_columns((monitored.size, nt, 2),
                                 cost=penalty.branch_overload_usd_per_mwh * hours[None, :, None])
    block = NetworkBlock(
        injection=injection,
        injection_rows=injection_rows,
        balance_rows=balance_rows,
        shortage=shortage,
        surplus=surplus,
        hvdc=hvdc,
        monitored=monitored,
        ptdf=ptdf,
        limit_mw=net.limit_mw[monitored],
        overload=overload,
        branch_rows=np.full((monitored.size, nt), -1, dtype=np.int64),
        losses=losses,
    )
    if not inp.settings.lazy_branch_constraints:
        add_branch_rows(model, block, np.ones((monitored.size, nt), dtype=bool))
    return block


def add_branch_rows(model: LinearModel, block: NetworkBlock, wanted: np.ndarray) -> int:
    """Add limit rows for the ``(monitored branch, period)`` pairs in ``wanted`` not yet there.

    Returns how many rows were added.
    """
    new = wanted & (block.branch_rows < 0)
    count = int(new.sum())
    if not count:
        return 0
    branch, period = np.nonzero(new)
    limit = block.limit_mw[branch]
    rows = model.add_rows((count,), lower=-limit, upper=limit)
    block.branch_rows[branch, period] = rows
    coef = block.ptdf[branch]  # (count, bus)
    cols = block.injection[:, period].T  # (count, bus)
    model.add_terms(rows[:, None], cols, np.where(np.abs(coef) > PTDF_ZERO, coef, 0.0))
    model.add_terms(rows, block.overload[branch, period, 0], -1.0)
    model.add_terms(rows, block.overload[branch, period, 1], 1.0)
    return count


def violated_branches(
    block: NetworkBlock, injection_mw: FloatArray, *, add_near: bool = False
) -> np.ndarray:
    """``(monitored, period)`` mask of limits to add: violated flows not yet constrained.

    A branch violated in one period is added in every period where its flow is
    near its limit (``NEAR_LIMIT`` of it): binding periods cluster. With
    ``add_near`` every near-limit flow of any branch is added once some flow is
    violated: one more row is much cheaper than one more solve.
    """
    loading = np.abs(block.ptdf @ injection_mw)
    limit = block.limit_mw[:, None]
    missing = block.branch_rows < 0
    over = (loading > limit + FLOW_TOLERANCE_MW) & missing
    if not over.any():
        return np.asarray(over)
    near = (loading > NEAR_LIMIT * limit) & missing
    if not add_near:
        near &= over.any(axis=1, keepdims=True)
    return np.asarray(over | near)
