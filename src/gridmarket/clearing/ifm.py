"""The integrated forward market: unit commitment, then a pricing run.

1. Build the security-constrained unit commitment MIP (families in
   :mod:`gridmarket.clearing.formulation`) and screen branch limits on its LP
   relaxation (solve, add the violated limits, re-solve). Marginal losses are
   linearised around the given base case, or else around that screening solve.
2. Find a starting commitment by a smaller MIP around the relaxation
   (:mod:`gridmarket.clearing.commitment_start`), then solve the full MIP with
   HiGHS from it, again adding any violated limit and re-solving.
3. Fix the commitment, re-solve as an LP (the pricing run) and read prices from
   its duals; the pricing run's dispatch is the final schedule. Identical units
   merged for the MIP (:mod:`~gridmarket.clearing.formulation.unit_groups`) are
   split back unit by unit for it.
4. Check the result's consistency; any violation is in the report.

A failed run (infeasible, solver error, time-out) raises
:class:`~gridmarket.clearing.highs_session.ClearingFailed`: nothing partial is
returned.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from gridmarket.clearing.commitment_start import neighbourhood_start
from gridmarket.clearing.extract import read_result
from gridmarket.clearing.formulation.unit_groups import (
    group_units,
    identical_units,
    split_commitment,
)
from gridmarket.clearing.inputs import ClearingInput
from gridmarket.clearing.linear_model import values
from gridmarket.clearing.mip_progress import MipProgress
from gridmarket.clearing.pricing import fix_commitment
from gridmarket.clearing.result import ClearingResult, SolverStatistics
from gridmarket.clearing.solve import (
    fixed_commitment_run,
    prepare_run,
    respects_branch_limits,
    solve_with_branch_limits,
)

# HiGHS options for the commitment MIP, which starts from a good solution.
MIP_OPTIONS: dict[str, object] = {}


def clear_day_ahead(inp: ClearingInput) -> ClearingResult:
    """Clear the integrated forward market: commitment, dispatch, reserves and prices.

    Example::

        >>> from gridmarket.clearing.synthetic import two_bus_system
        >>> result = clear_day_ahead(two_bus_system(limit_mw=100.0))
        >>> result.prices.mcc_usd_per_mwh[:, 0].round(2).tolist()
        [-20.0, 0.0]
    """
    clock = time.perf_counter()
    groups = identical_units(inp.units, inp.periods)
    mip_input = (replace(inp, units=group_units(inp.units, groups)) if groups.merges_any
                 else inp)
    run = prepare_run(mip_input, integer=True,
                      size=groups.size if groups.merges_any else None)
    cm, session, screening = run.cm, run.session, run.screening
    start = neighbourhood_start(session, cm, screening.outcome.col_value)
    progress = MipProgress(clock)
    if start is not None and respects_branch_limits(cm, start.col_value):
        # The relaxation's objective is a lower bound: the gap is known already.
        progress.note_feasible(start.objective_usd, screening.outcome.objective)
    if (cm.units.binary >= 0).any():
        session.set_start(start.col_value if start is not None else None)
    with session.options(**MIP_OPTIONS):
        commitment_solve = solve_with_branch_limits(session, cm, progress=progress)
    count = values(commitment_solve.outcome.col_value, cm.units.commit)
    if groups.merges_any:
        # Prices and the consistency check are per unit: one LP with units apart.
        commitment = split_commitment(inp.units, groups, np.rint(count))
        cm, session = fixed_commitment_run(inp, commitment, run)
    else:
        fix_commitment(session, cm, count > 0.5)
    pricing = solve_with_branch_limits(session, cm)
    outcome = pricing.outcome
    start_seconds = start.seconds if start is not None else 0.0

    statistics = SolverStatistics(
        build_seconds=run.build_seconds,
        screening_seconds=screening.seconds,
        solve_seconds=start_seconds + commitment_solve.seconds,
        pricing_seconds=pricing.seconds,
        total_seconds=time.perf_counter() - clock,
        mip_gap=commitment_solve.outcome.mip_gap,
        objective_usd=commitment_solve.outcome.objective,
        screening_iterations=screening.iterations,
        lazy_iterations=commitment_solve.iterations,
        pricing_lazy_iterations=pricing.iterations,
        branch_rows=int((cm.network.branch_rows >= 0).sum()),
        n_columns=run.cm.model.n_cols,
        n_rows=run.cm.model.n_rows,
        n_integer=int(np.count_nonzero(run.cm.units.binary >= 0)),
        status=outcome.status,
        start_seconds=start_seconds,
        start_objective_usd=start.objective_usd if start is not None else None,
        mip_progress=tuple(progress.points),
    )
    return read_result(cm, run.dc, outcome, statistics)
