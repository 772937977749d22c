"""A first commitment for the IFM's MIP: a smaller MIP around the LP relaxation.

The relaxation of the tight formulation commits long-cycle units (coal,
combined cycles, nuclear: minimum up times of several hours) almost integrally,
and mostly as the optimum does; what it gets wrong is the peakers and a few
fractional units. So the start fixes each long-cycle unit's commitment where the
relaxation is integral, leaves everything else free, and solves that restricted
MIP to a loose gap in a separate solver. Its solution is feasible for the full
MIP; handed to HiGHS as a start, it lets the branch and bound prune and fix by
reduced cost from the first node instead of searching for a good solution.

Example::

    >>> from gridmarket.clearing.synthetic import two_bus_system
    >>> from gridmarket.clearing.solve import prepare_run
    >>> run = prepare_run(two_bus_system())
    >>> neighbourhood_start(run.session, run.cm, run.screening.outcome.col_value) is None
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridmarket.clearing.formulation.assemble import ClearingModel
from gridmarket.clearing.highs_session import ClearingFailed, HighsSession
from gridmarket.clearing.linear_model import FloatArray, values

# Units that must stay on at least this long are the ones the relaxation commits well.
LONG_CYCLE_HOURS = 4.0
# Below this many binaries the full MIP is quick and a start is not worth its cost.
MIN_BINARIES = 200
# The restricted MIP stops at this gap: its own bound is near, so this is close enough.
START_GAP = 0.002
# Favour finding solutions over proving bounds in the restricted MIP.
START_OPTIONS: dict[str, object] = {
    "mip_heuristic_effort": 0.5,
    "mip_allow_cut_separation_at_nodes": False,
}
# Share of the run's time limit the start may take.
START_TIME_SHARE = 0.25
INTEGRAL = 1e-6


@dataclass(frozen=True)
class CommitmentStart:
    """A feasible solution of the full MIP and what it took to find."""

    col_value: FloatArray
    objective_usd: float
    seconds: float
    fixed: int
    """Commitments fixed from the relaxation."""
    free: int
    """Commitments left to the restricted MIP."""


def neighbourhood_start(session: HighsSession, cm: ClearingModel,
                        relaxed: FloatArray) -> CommitmentStart | None:
    """Solve the MIP with the relaxation's integral long-cycle commitments fixed.

    ``relaxed`` is the column solution of the LP relaxation. Returns None when the
    model is small (not worth it) or the restricted MIP finds nothing in time.
    """
    binary = cm.units.binary
    present = binary >= 0
    if int(present.sum()) < MIN_BINARIES:
        return None
    units, periods = cm.input.units, cm.input.periods
    u = values(relaxed, binary)
    rounded = np.round(u)
    up_hours = units.min_up_periods * float(np.median(periods.hours))
    fix = present & (np.abs(u - rounded) <= INTEGRAL) & (up_hours >= LONG_CYCLE_HOURS)[:, None]
    twin = session.twin()
    twin.set_column_bounds(binary[fix], rounded[fix], rounded[fix])
    twin.set_options(mip_rel_gap=START_GAP, **START_OPTIONS)
    try:
        outcome = twin.solve(session.time_limit_seconds * START_TIME_SHARE,
                             accept=("Time limit reached",))
    except ClearingFailed:
        return None
    return CommitmentStart(outcome.col_value, outcome.objective, outcome.seconds,
                           fixed=int(fix.sum()), free=int((present & ~fix).sum()))
