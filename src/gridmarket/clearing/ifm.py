"""The integrated forward market: unit commitment, then a pricing run.

1. Linearise losses around the base case (unless lossless).
2. Build the security-constrained unit commitment MIP (families in
   :mod:`gridmarket.clearing.formulation`). Screen branch limits on its LP
   relaxation (solve, add the violated limits, re-solve), then solve the MIP
   with HiGHS, again adding any violated limit and re-solving.
3. Fix the commitment, re-solve as an LP (the pricing run) and read prices from
   its duals; the pricing run's dispatch is the final schedule.
4. Check the result's consistency; any violation is in the report.

A failed run (infeasible, solver error, time-out) raises
:class:`~gridmarket.clearing.highs_session.ClearingFailed`: nothing partial is
returned.
"""

from __future__ import annotations

import time

import numpy as np

from gridmarket.clearing.consistency import check_consistency
from gridmarket.clearing.extract import (
    read_binding,
    read_relaxations,
    read_schedules,
    read_unit_limits,
    values,
)
from gridmarket.clearing.formulation.assemble import build_clearing_model
from gridmarket.clearing.inputs import ClearingInput
from gridmarket.clearing.pricing import compute_prices, fix_commitment
from gridmarket.clearing.result import ClearingResult, SolverStatistics
from gridmarket.clearing.solve import (
    dc_network,
    loss_linearisation,
    open_session,
    screen_branch_limits,
    solve_with_branch_limits,
)


def clear_day_ahead(inp: ClearingInput) -> ClearingResult:
    """Clear the integrated forward market: commitment, dispatch, reserves and prices.

    Example::

        >>> from gridmarket.clearing.synthetic import two_bus_system
        >>> result = clear_day_ahead(two_bus_system(limit_mw=100.0))
        >>> result.prices.mcc_usd_per_mwh[:, 0].round(2).tolist()
        [-20.0, 0.0]
    """
    start = time.perf_counter()
    dc = dc_network(inp)
    ptdf = dc.ptdf(inp.network.monitored_branches, weights=inp.network.reference_distribution)
    losses = loss_linearisation(inp, dc, ptdf)
    cm = build_clearing_model(inp, ptdf, losses, integer=True)
    session = open_session(cm)
    build_seconds = time.perf_counter() - start

    screening = screen_branch_limits(session, cm)
    commitment_solve = solve_with_branch_limits(session, cm)
    commitment = values(commitment_solve.outcome.col_value, cm.units.commit) > 0.5
    fix_commitment(session, cm, commitment)
    pricing = solve_with_branch_limits(session, cm)
    outcome = pricing.outcome

    schedules = read_schedules(cm, outcome.col_value, dc)
    prices = compute_prices(cm, outcome)
    relaxations = read_relaxations(cm, outcome.col_value)
    unit_limits = read_unit_limits(cm, outcome, commitment)
    report = check_consistency(inp, schedules, prices, relaxations, unit_limits)
    statistics = SolverStatistics(
        build_seconds=build_seconds,
        screening_seconds=screening.seconds,
        solve_seconds=commitment_solve.seconds,
        pricing_seconds=pricing.seconds,
        total_seconds=time.perf_counter() - start,
        mip_gap=commitment_solve.outcome.mip_gap,
        objective_usd=commitment_solve.outcome.objective,
        screening_iterations=screening.iterations,
        lazy_iterations=commitment_solve.iterations,
        pricing_lazy_iterations=pricing.iterations,
        branch_rows=int((cm.network.branch_rows >= 0).sum()),
        n_columns=cm.model.n_cols,
        n_rows=cm.model.n_rows,
        n_integer=int(np.count_nonzero(cm.units.commit >= 0)),
        status=outcome.status,
    )
    return ClearingResult(
        input=inp,
        schedules=schedules,
        prices=prices,
        relaxations=relaxations,
        binding_constraints=read_binding(cm, outcome),
        unit_limits=unit_limits,
        statistics=statistics,
        consistency=report,
    )
