"""The pricing run: commitment fixed, an LP, prices from its duals.

With HiGHS's sign convention a row dual is ``∂(objective)/∂(row bound)``. Each
bus's net injection ``inj_b`` is a free variable of zero cost, so its reduced
cost is zero and, with ``y`` the duals of its definition row, the system
balance (``λ``) and the branch rows (``μ_l``):

    LMP_b·h = −y_b = λ·(1 − LF_b) + Σ_l PTDF_l,b·μ_l

which splits the LMP into

    SMEC = λ/h,   MCL_b = −LF_b·SMEC,   MCC_b = Σ_l PTDF_l,b·μ_l / h.

(``μ_l ≤ 0`` on a branch at its upper limit: relaxing it lowers the cost, so a
bus whose injection loads the branch gets a lower price.) The LMP is computed as
the sum of its parts; ``−y_b/h`` is kept as an independent check.
"""

from __future__ import annotations

import numpy as np

from gridmarket.clearing.formulation.assemble import ClearingModel
from gridmarket.clearing.formulation.reserves import reserve_prices
from gridmarket.clearing.highs_session import HighsSession, SolveOutcome
from gridmarket.clearing.inputs import N_PRODUCTS
from gridmarket.clearing.inputs._checks import BoolArray
from gridmarket.clearing.linear_model import values
from gridmarket.clearing.result import Prices


def fix_commitment(session: HighsSession, cm: ClearingModel, commitment: BoolArray) -> None:
    """Fix ``u`` (and the start-ups and shut-downs it implies) and make the model an LP."""
    units = cm.units
    on = commitment.astype(np.float64)
    before = np.concatenate([cm.input.units.initial_on[:, None], commitment[:, :-1]], axis=1)
    start = (commitment & ~before).astype(np.float64)
    stop = (~commitment & before).astype(np.float64)
    session.set_integrality(units.commit, False)
    session.set_column_bounds(units.commit, on, on)
    session.set_column_bounds(units.startup, start, start)
    session.set_column_bounds(units.shutdown, stop, stop)


def compute_prices(cm: ClearingModel, outcome: SolveOutcome) -> Prices:
    """Prices by part at every bus, reserve prices and aggregated-node prices."""
    inp = cm.input
    hours = inp.periods.hours
    net = cm.network
    y = outcome.row_dual
    smec = values(y, net.balance_rows) / hours
    mcl = 0.0 - net.losses.loss_factor * smec[None, :]  # 0.0 - x avoids printing -0.0
    branch_dual = values(y, net.branch_rows) / hours[None, :]  # (monitored, period)
    mcc = net.ptdf.T @ branch_dual
    lmp = smec[None, :] + mcc + mcl
    nodal = -values(y, net.injection_rows) / hours[None, :]
    if cm.reserves is not None:
        reserve = reserve_prices(cm.reserves, y, hours)
    else:
        reserve = np.zeros((N_PRODUCTS, 0, inp.periods.count))
    aggregated = (inp.aggregated_nodes.weight @ lmp if inp.aggregated_nodes is not None
                  else np.zeros((0, inp.periods.count)))
    return Prices(
        lmp_usd_per_mwh=lmp,
        smec_usd_per_mwh=smec,
        mcc_usd_per_mwh=mcc,
        mcl_usd_per_mwh=mcl,
        nodal_dual_usd_per_mwh=nodal,
        reserve_usd_per_mw=reserve,
        aggregated_lmp_usd_per_mwh=aggregated,
    )
