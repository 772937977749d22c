"""Marginal loss factors: a linearised DC loss model around a base case.

Losses on a branch are approximately ``r·f²/S`` (MW, with ``r`` in per unit on
``S`` MVA and ``f`` the DC flow in MW). Around a base operating point ``P⁰``
with flows ``f⁰``, total losses ``L(P) = Σ_l r_l·(PTDF_l·P)²/S`` are linearised:

    L(P) ≈ L⁰ + Σ_i LF_i·(P_i − P⁰_i),    LF_i = ∂L/∂P_i = Σ_l (2·r_l·f⁰_l/S)·PTDF_li

``LF_i`` is the *loss factor* of bus ``i``: the extra losses per MW injected at
``i`` and withdrawn at the reference. With the load-distributed reference
``Σ_i w_i·LF_i = 0``. The system balance ``ΣP = L(P)`` becomes

    Σ_i (1 − LF_i)·P_i = L⁰ − Σ_i LF_i·P⁰_i  =: loss offset

The offset corrects the double counting of a linear model of a quadratic: for a
balanced base case it equals ``−L⁰``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gridmarket.network.ptdf import DcNetwork

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LossLinearisation:
    """Loss factors ``(bus, period)`` and loss offsets and base losses ``(period,)``."""

    loss_factor: FloatArray
    offset_mw: FloatArray
    base_losses_mw: FloatArray

    @classmethod
    def lossless(cls, n_buses: int, n_periods: int) -> LossLinearisation:
        """No losses: every factor and offset is zero."""
        zeros = np.zeros(n_periods)
        return cls(np.zeros((n_buses, n_periods)), zeros, zeros.copy())


def branch_losses_mw(
    flow_mw: npt.ArrayLike, resistance_pu: npt.ArrayLike, base_mva: float
) -> FloatArray:
    """Quadratic DC losses per branch, ``r·f²/S``, for flows ``(branch,)`` or ``(branch, k)``.

    Example::

        >>> branch_losses_mw([100.0], [0.01], 100.0).tolist()
        [1.0]
    """
    f = np.asarray(flow_mw, dtype=np.float64)
    r = np.asarray(resistance_pu, dtype=np.float64)
    r = r[:, None] if f.ndim == 2 else r
    return np.asarray(r * f**2 / base_mva)


def linearise_losses(
    network: DcNetwork,
    resistance_pu: npt.ArrayLike,
    base_mva: float,
    base_injection_mw: npt.ArrayLike,
    weights: npt.ArrayLike,
) -> LossLinearisation:
    """Loss factors and offsets around ``base_injection_mw`` ``(bus, period)``.

    ``weights`` is the load-distributed reference (sums to 1); the base case's
    imbalance, if any, is withdrawn there.

    Example (one line, injection at bus 0 delivered to bus 1)::

        >>> net = DcNetwork([0], [1], [0.1], n_buses=2, reference=1)
        >>> lin = linearise_losses(net, [0.01], 100.0, [[100.0], [-100.0]], [0.0, 1.0])
        >>> lin.loss_factor.ravel().tolist(), lin.offset_mw.tolist()
        ([0.02, 0.0], [-1.0])
    """
    p0 = np.asarray(base_injection_mw, dtype=np.float64)
    if p0.ndim == 1:
        p0 = p0[:, None]
    w = np.asarray(weights, dtype=np.float64)
    r = np.asarray(resistance_pu, dtype=np.float64)
    flows = network.flows(p0, weights=w)
    base_losses = branch_losses_mw(flows, r, base_mva).sum(axis=0)
    factor = network.ptdf_transpose_product(2.0 * r[:, None] * flows / base_mva, weights=w)
    offset = base_losses - (factor * p0).sum(axis=0)
    return LossLinearisation(loss_factor=factor, offset_mw=offset, base_losses_mw=base_losses)
