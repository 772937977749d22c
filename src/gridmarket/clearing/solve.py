"""Solving with lazily added branch limits, and the base case for losses."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from gridmarket.clearing.formulation.assemble import ClearingModel, build_clearing_model
from gridmarket.clearing.formulation.network import add_branch_rows, violated_branches
from gridmarket.clearing.highs_session import HighsSession, SolveOutcome
from gridmarket.clearing.inputs import ClearingInput
from gridmarket.clearing.linear_model import FloatArray, IntArray, values
from gridmarket.clearing.mip_progress import MipProgress
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


def solve_with_branch_limits(
    session: HighsSession, cm: ClearingModel, *, add_near: bool = True,
    progress: MipProgress | None = None,
) -> LazySolve:
    """Solve; add the branch limits the solution violates; re-solve until none is violated.

    With ``add_near`` a round that finds a violation also adds every flow near
    its limit: rows are cheap, solves (a MIP above all) are not. HiGHS keeps the
    model (and, for LPs, the basis) between solves, so each re-solve starts
    warm; a MIP re-solve starts from the previous round's commitment. Every
    round adds at least one row, so the loop ends. ``progress`` records the
    bounds of the last round's MIP.
    """
    seconds = 0.0
    iterations = 0
    while True:
        iterations += 1
        if progress is not None:
            progress.restart()
        outcome = session.solve(progress=progress)
        seconds += outcome.seconds
        injection = values(outcome.col_value, cm.network.injection)
        violated = violated_branches(cm.network, injection, add_near=add_near)
        if not violated.any():
            return LazySolve(outcome, iterations, seconds)
        add_branch_rows(cm.model, cm.network, violated)
        if progress is not None:
            # The commitment stays a good start; HiGHS repairs its dispatch.
            session.set_start(outcome.col_value)


def respects_branch_limits(cm: ClearingModel, col_value: FloatArray) -> bool:
    """Whether a solution's flows are within every monitored limit (rows added or not)."""
    injection = values(col_value, cm.network.injection)
    return not violated_branches(cm.network, injection).any()


def screen_branch_limits(session: HighsSession, cm: ClearingModel) -> LazySolve:
    """Run the lazy loop on the LP relaxation first.

    Its rounds are cheap, and the branches that bind in the relaxation are
    usually those that bind in the commitment, so the MIP often needs no second
    round.
    """
    if not cm.integer:
        return solve_with_branch_limits(session, cm)
    session.set_integrality(cm.units.binary, False)
    try:
        return solve_with_branch_limits(session, cm)
    finally:
        session.set_integrality(cm.units.binary, True)


def dc_network(inp: ClearingInput) -> DcNetwork:
    """The factorised DC network of the input."""
    net = inp.network
    return DcNetwork(net.branch_from_index, net.branch_to_index, net.reactance_pu,
                     n_buses=net.n_buses, reference=net.reference_index)


def has_losses(inp: ClearingInput) -> bool:
    """Whether marginal losses are modelled: not lossless mode, and some resistance."""
    return not inp.settings.lossless and bool(np.any(inp.network.resistance_pu > 0))


def loss_linearisation(inp: ClearingInput, dc: DcNetwork, base_mw: FloatArray
                       ) -> LossLinearisation:
    """Losses linearised around the base-case injections ``(bus, period)``."""
    net = inp.network
    return linearise_losses(dc, net.resistance_pu, net.base_mva, base_mw,
                            net.reference_distribution)


def apply_losses(session: HighsSession, cm: ClearingModel, losses: LossLinearisation) -> None:
    """Put new loss factors and offsets into the balance rows of a passed model."""
    net = cm.network
    rows = np.broadcast_to(net.balance_rows[None, :], net.injection.shape)
    session.set_coefficients(rows, net.injection, 1.0 - losses.loss_factor)
    session.set_row_bounds(net.balance_rows, losses.offset_mw, losses.offset_mw)
    net.losses = losses


@dataclass
class PreparedRun:
    """A built model in its solver session, with branch limits screened."""

    dc: DcNetwork
    cm: ClearingModel
    session: HighsSession
    screening: LazySolve
    build_seconds: float


def prepare_run(inp: ClearingInput, *, integer: bool = True, stable: bool = False,
                size: IntArray | None = None) -> PreparedRun:
    """Build the model, open a session and screen branch limits on the LP (relaxation).

    ``size`` counts the identical units each unit of ``inp`` stands for.

    Without a given base case, the screening solve (lossless) is the base case
    for the loss factors, which are then put into the model and screened again.
    """
    start = time.perf_counter()
    dc = dc_network(inp)
    net = inp.network
    ptdf = dc.ptdf(net.monitored_branches, weights=net.reference_distribution)
    lossy = has_losses(inp)
    base = inp.base_case_injection_mw
    losses = (loss_linearisation(inp, dc, base) if lossy and base is not None
              else LossLinearisation.lossless(net.n_buses, inp.periods.count))
    cm = build_clearing_model(inp, ptdf, losses, integer=integer, stable=stable, size=size)
    session = open_session(cm)
    build_seconds = time.perf_counter() - start
    screening = screen_branch_limits(session, cm)
    if lossy and base is None:
        base = values(screening.outcome.col_value, cm.network.injection)
        apply_losses(session, cm, loss_linearisation(inp, dc, base))
        again = screen_branch_limits(session, cm)
        screening = LazySolve(again.outcome, screening.iterations + again.iterations,
                              screening.seconds + again.seconds)
    return PreparedRun(dc, cm, session, screening, build_seconds)


def fixed_commitment_run(inp: ClearingInput, commitment: np.ndarray, like: PreparedRun
                         ) -> tuple[ClearingModel, HighsSession]:
    """The LP of ``inp`` with ``commitment`` ``(unit, period)`` fixed, ready to solve.

    It takes the loss linearisation and the branch limits found by ``like`` (the
    commitment MIP of the same day), so it usually needs a single solve.
    """
    fixed = replace(inp, units=inp.units.with_commitment(commitment))
    network = like.cm.network
    cm = build_clearing_model(fixed, network.ptdf, network.losses, integer=False)
    add_branch_rows(cm.model, cm.network, network.branch_rows >= 0)
    cm.input = inp
    return cm, open_session(cm)
