"""DC power-flow sensitivities: power transfer distribution factors (PTDFs).

In the DC model a branch ``l`` from bus ``f`` to bus ``t`` carries
``flow_l = b_l·(θ_f − θ_t)`` with ``b_l = 1/x_l``, and bus angles solve
``B·θ = P`` where ``B = Aᵀ·diag(b)·A`` (``A`` is the branch–bus incidence
matrix) with the reference angle fixed at zero. So ``flow = PTDF·P`` with
``PTDF = diag(b)·A·B_red⁻¹`` and a zero column for the reference bus: the
PTDF entry ``(l, i)`` is the MW on ``l`` per MW injected at ``i`` and withdrawn at
the reference.

With a *load-distributed reference* (weights ``w`` summing to 1) the injection is
withdrawn from the buses in proportion to ``w`` instead:
``PTDF_w = PTDF − (PTDF·w)·1ᵀ``. For a balanced injection (``ΣP = 0``) both give
the same flows; they differ in how an imbalance such as losses is absorbed.

The reduced ``B`` is factorised once (sparse LU); PTDF rows are computed only for
the branches asked for, and products with ``PTDFᵀ`` (loss factors, shadow-price
sums) use a transposed solve without forming the matrix.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import splu

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class DcNetwork:
    """One network topology, factorised once for repeated sensitivity queries.

    Example (three buses in a loop, equal reactances, reference bus 0)::

        >>> net = DcNetwork([0, 1, 0], [1, 2, 2], [0.1, 0.1, 0.1], n_buses=3, reference=0)
        >>> net.ptdf().round(4).tolist()
        [[0.0, -0.6667, -0.3333], [0.0, 0.3333, -0.3333], [0.0, -0.3333, -0.6667]]
    """

    def __init__(
        self,
        from_bus: npt.ArrayLike,
        to_bus: npt.ArrayLike,
        reactance_pu: npt.ArrayLike,
        *,
        n_buses: int,
        reference: int,
    ) -> None:
        self.from_bus = np.asarray(from_bus, dtype=np.int64)
        self.to_bus = np.asarray(to_bus, dtype=np.int64)
        x = np.asarray(reactance_pu, dtype=np.float64)
        if np.any(x == 0):
            raise ValueError("a branch has zero reactance")
        self.susceptance = 1.0 / x
        self.n_buses = n_buses
        self.n_branches = int(self.from_bus.size)
        self.reference = reference
        rows = np.repeat(np.arange(self.n_branches), 2)
        cols = np.column_stack([self.from_bus, self.to_bus]).reshape(-1)
        signs = np.tile([1.0, -1.0], self.n_branches)
        self.incidence = sp.csr_matrix(
            (signs, (rows, cols)), shape=(self.n_branches, n_buses)
        )
        _require_connected(self.incidence, n_buses)
        self._keep = np.flatnonzero(np.arange(n_buses) != reference)
        b_bus = self.incidence.T @ sp.diags(self.susceptance) @ self.incidence
        self._lu = splu(sp.csc_matrix(b_bus[self._keep][:, self._keep])) if n_buses > 1 else None

    def angles(self, injection_mw: npt.ArrayLike) -> FloatArray:
        """Bus angles (in MW-per-susceptance units) for injections ``(bus,)`` or ``(bus, k)``.

        Any imbalance ``ΣP`` is withdrawn at the reference bus.
        """
        p = np.asarray(injection_mw, dtype=np.float64)
        theta = np.zeros_like(p)
        if self._lu is not None:
            theta[self._keep] = self._lu.solve(np.ascontiguousarray(p[self._keep]))
        return theta

    def flows(
        self, injection_mw: npt.ArrayLike, weights: npt.ArrayLike | None = None
    ) -> FloatArray:
        """Branch flows (MW, from→to) for injections ``(bus,)`` or ``(bus, k)``.

        With ``weights`` the imbalance is withdrawn at the load-distributed reference.
        """
        p = np.asarray(injection_mw, dtype=np.float64)
        if weights is not None:
            w = np.asarray(weights, dtype=np.float64)
            total = p.sum(axis=0)
            p = p - (w[:, None] * total if p.ndim == 2 else w * total)
        theta = self.angles(p)
        diff = theta[self.from_bus] - theta[self.to_bus]
        b = self.susceptance[:, None] if diff.ndim == 2 else self.susceptance
        return np.asarray(b * diff)

    def ptdf(
        self, branches: npt.ArrayLike | None = None, weights: npt.ArrayLike | None = None
    ) -> FloatArray:
        """PTDF rows ``(branch, bus)`` for ``branches`` (default all), dense.

        With ``weights`` the rows refer to the load-distributed reference.
        """
        chosen = (np.arange(self.n_branches) if branches is None
                  else np.asarray(branches, dtype=np.int64))
        bf = sp.diags(self.susceptance[chosen]) @ self.incidence[chosen]
        out = np.zeros((chosen.size, self.n_buses))
        if self._lu is not None and chosen.size:
            rhs = np.asarray(bf[:, self._keep].T.todense())
            out[:, self._keep] = self._lu.solve(rhs).T  # B_red is symmetric
        if weights is not None:
            out = distribute_reference(out, weights)
        return out

    def ptdf_transpose_product(
        self, branch_values: npt.ArrayLike, weights: npt.ArrayLike | None = None
    ) -> FloatArray:
        """``PTDFᵀ·g`` for ``g`` of shape ``(branch,)`` or ``(branch, k)``, without the PTDF.

        This is the sensitivity of ``Σ_l g_l·flow_l`` to each bus injection, e.g. the
        marginal loss factors when ``g = 2·r·flow/base``.
        """
        g = np.asarray(branch_values, dtype=np.float64)
        b = self.susceptance[:, None] if g.ndim == 2 else self.susceptance
        rhs = self.incidence.T @ (b * g)
        out = np.zeros((self.n_buses, *g.shape[1:]))
        if self._lu is not None:
            out[self._keep] = self._lu.solve(np.ascontiguousarray(rhs[self._keep]))
        if weights is not None:
            w = np.asarray(weights, dtype=np.float64)
            out = out - np.tensordot(w, out, axes=(0, 0))
        return out


def distribute_reference(ptdf: npt.ArrayLike, weights: npt.ArrayLike) -> FloatArray:
    """Re-reference PTDF rows to a load-distributed reference with ``weights`` (sum 1).

    Example::

        >>> distribute_reference([[0.0, -1.0]], [0.5, 0.5]).tolist()
        [[0.5, -0.5]]
    """
    matrix = np.asarray(ptdf, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if not np.isclose(w.sum(), 1.0):
        raise ValueError("reference weights must sum to 1")
    return np.asarray(matrix - (matrix @ w)[:, None])


def ptdf_matrix(
    from_bus: npt.ArrayLike,
    to_bus: npt.ArrayLike,
    reactance_pu: npt.ArrayLike,
    *,
    n_buses: int,
    reference: int = 0,
    branches: npt.ArrayLike | None = None,
    weights: npt.ArrayLike | None = None,
) -> FloatArray:
    """PTDF rows for ``branches`` of a network given by bus positions and reactances.

    Example::

        >>> ptdf_matrix([0], [1], [0.1], n_buses=2, reference=1).tolist()
        [[1.0, 0.0]]
    """
    net = DcNetwork(from_bus, to_bus, reactance_pu, n_buses=n_buses, reference=reference)
    return net.ptdf(branches, weights)


def _require_connected(incidence: sp.csr_matrix, n_buses: int) -> None:
    adjacency = incidence.T @ incidence
    count, labels = connected_components(adjacency, directed=False)
    if count > 1:
        island = np.flatnonzero(labels != labels[0])
        raise ValueError(
            f"the network has {count} islands; e.g. bus positions {island[:5].tolist()} "
            "are not connected to bus 0"
        )
