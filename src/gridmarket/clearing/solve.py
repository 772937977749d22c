"""Solving with lazily added branch limits, and the base case for losses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridmarket.clearing.extract import values
from gridmarket.clearing.formulation.assemble import ClearingModel, build_clearing_model
from gridmarket.clearing.formulation.network import add_branch_rows, violated_branches
from gridmarket.clearing.highs_session import HighsSession, SolveOutcome
from gridmarket.clearing.inputs import ClearingInput
from gridmarket.clearing.linear_model import FloatArray
from gridmarket.network.losses import LossLinearisation, linearise_losses
from gridmarket.network.ptdf import DcNetwork


@dataclass(frozen=True)
class LazySolve:
    """The final solve of a lazy loop, how many solves it took and their total time."""

    outcome: SolveOutcome
    iterations: int
    seconds: float


def open_session(cm: ClearingModel) -> HighsSession:
    """A HiGHS session for a built model, with the input's solver settings."""
    settings = cm.input.settings
    return HighsSession(cm.model, mip_gap=settings.mip_gap,
                        time_limit_seconds=settings.time_limit_seconds, threads=settings.threads)


def solve_with_branch_limits(session: HighsSession, cm: ClearingModel) -> LazySolve:
    """Solve; add the branch limits the solution violates; re-solve until none is violated.

    HiGHS keeps the model (and, for LPs, the basis) between solves, so each
    re-solve starts warm. Every round adds at least one row, so the loop ends.
    """
    seconds = 0.0
    iterations = 0
    while True:
        iterations += 1
        outcome = session.solve()
        seconds += outcome.seconds
        injection = values(outcome.col_value, cm.network.injection)
        violated = violated_branches(cm.network, injection)
        if not violated.any():
            return LazySolve(outcome, iterations, seconds)
        add_branch_rows(cm.model, cm.network, violated)


def screen_branch_limits(session: HighsSession, cm: ClearingModel) -> LazySolve:
    """Run the lazy loop on the LP relaxation first.

    Its rounds are cheap, and the branches that bind in the relaxation are
    usually those that bind in the commitment, so the MIP rarely needs a second
    round.
    """
    session.set_integrality(cm.units.commit, False)
    try:
        return solve_with_branch_limits(session, cm)
    finally:
        session.set_integrality(cm.units.commit, True)


def dc_network(inp: ClearingInput) -> DcNetwork:
    """The factorised DC network of the input."""
    net = inp.network
    return DcNetwork(net.branch_from_index, net.branch_to_index, net.reactance_pu,
                     n_buses=net.n_buses, reference=net.reference_index)


def loss_linearisation(inp: ClearingInput, dc: DcNetwork, ptdf: FloatArray) -> LossLinearisation:
    """Losses linearised around the input's base case, or around a lossless relaxed solve.

    Lossless mode, or a network without resistance, gives zero factors.
    """
    net = inp.network
    nb, nt = net.n_buses, inp.periods.count
    if inp.settings.lossless or not np.any(net.resistance_pu > 0):
        return LossLinearisation.lossless(nb, nt)
    base = inp.base_case_injection_mw
    if base is None:
        relaxed = build_clearing_model(inp, ptdf, LossLinearisation.lossless(nb, nt),
                                       integer=False)
        solved = solve_with_branch_limits(open_session(relaxed), relaxed)
        base = values(solved.outcome.col_value, relaxed.network.injection)
    return linearise_losses(dc, net.resistance_pu, net.base_mva, base,
                            net.reference_distribution)
