"""Single-period, lossless DC optimal power flow with locational marginal prices.

The problem, in per unit on ``baseMVA`` with bus angles θ in radians::

    minimise    Σ_g  c2·P_g² + c1·P_g + c0            (gencost model 2, $/h, P in MW)
                + Σ_g  t_g                             (gencost model 1, epigraph of the
                                                         convex piecewise-linear curve)
    subject to  C_g·P − B·θ = P_demand + G_s − A'·(b·φ)     one row per bus   (→ LMP)
                θ_f − θ_t within [lo, hi]                   one row per limited branch
                P_min ≤ P ≤ P_max,  θ_ref = 0

where ``A`` is the branch-bus incidence matrix, ``b`` the branch susceptances,
``B = A'·diag(b)·A`` and ``φ`` the phase shifts. A branch row bounds the angle
difference: the thermal limit ``|b·(θ_f − θ_t − φ)| ≤ rate_a`` and the angle-difference
limit ``angmin ≤ θ_f − θ_t ≤ angmax`` are intersected into one interval, so the row
coefficients are ±1 whatever the branch impedance (good scaling), and one dual per
branch gives its shadow price.

Two conventions (see ``docs/dcopf.md``):

* ``powermodels``: ``b = x/(r² + x²)``, tap ratio and phase shift ignored, angle
  limits outside ±90° (or both 0) replaced by ±60° as PowerModels does.
* ``matpower``: ``b = 1/(x·tap)`` with phase-shift injections; an angle limit of 0 or
  beyond ±360° means none.

Both count bus shunt conductance Gs as load, include c0 of every in-service
generator, drop out-of-service generators and branches and isolated (type 4) buses,
and treat ``rate_a = 0`` as unlimited.

The LMP of a bus is the dual of its balance row. It is split into a uniform energy
part, the load-weighted average LMP (the price at a load-distributed reference), a
congestion part (LMP − energy) and a loss part (0 in a lossless model).

Solution methods, tried in order until one gives a verified optimum (the result
names the one used):

1. ``shift-factor-qp`` / ``shift-factor-lp``: angles eliminated with one sparse LU of
   B; HiGHS solves for the generator outputs alone, and a branch limit enters as a
   row of shift factors once a solution comes near it. Fast at 10,000 buses.
2. ``highs-qp`` / ``highs-simplex``: HiGHS on the full B-θ model above.
3. ``lp-outer-approximation`` (QP) / ``highs-ipm`` (LP): cutting planes on the
   quadratic costs, or the interior-point solver.

Every answer, whatever its method, is checked against the optimality (KKT) conditions
of the full B-θ model before it is returned; an answer that fails is set aside and
the next method tried. :class:`DcOpfError` is raised when none works, and at once
when HiGHS finds the constraints infeasible.

Example::

    >>> from gridmarket.network.matpower import parse_matpower_text
    >>> case = parse_matpower_text('''
    ... mpc.baseMVA = 100;
    ... mpc.bus = [1 3 0 0 0 0 1 1 0 230 1 1.1 0.9; 2 1 100 0 0 0 1 1 0 230 1 1.1 0.9];
    ... mpc.gen = [1 0 0 0 0 1 100 1 200 0; 2 0 0 0 0 1 100 1 200 0];
    ... mpc.branch = [1 2 0 0.1 0 60 60 60 0 0 1 -30 30];
    ... mpc.gencost = [2 0 0 3 0 10 0; 2 0 0 3 0 30 0];
    ... ''')
    >>> result = solve_dc_opf(case)
    >>> round(result.objective_usd_per_h, 6), [round(float(p), 6) for p in result.lmp_usd_per_mwh]
    (1800.0, [10.0, 30.0])
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, get_args

import highspy
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import splu

from gridmarket.network.matpower import (
    GENCOST_PIECEWISE_LINEAR,
    GENCOST_POLYNOMIAL,
    MatpowerCase,
    parse_matpower,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

Convention = Literal["powermodels", "matpower"]
CONVENTIONS: tuple[str, ...] = get_args(Convention)

# PowerModels replaces angle-difference limits it does not support by ±60° (1.0472 rad).
_POWERMODELS_ANGLE_PAD_RAD = 1.0472
# Accept a solver answer only if its KKT residuals (per unit) are below this.
_KKT_TOLERANCE = 1e-5
# A branch whose limit dual is below this ($/MWh) is not reported as binding.
_BINDING_PRICE_TOLERANCE = 1e-6
_OUTER_APPROXIMATION_ROUNDS = 100
# Shift-factor method: add a branch limit once violated by more than this (pu flow).
_SHIFT_FACTOR_FEASIBILITY = 1e-9
_SHIFT_FACTOR_ROUNDS = 50
_SHIFT_FACTOR_BATCH = 500
# ... and with it any limit whose margin is below this share of its range.
_SHIFT_FACTOR_NEAR_SHARE = 0.02


class DcOpfError(RuntimeError):
    """The DC-OPF could not be built or no solution method produced a verified optimum."""


@dataclass(frozen=True)
class BindingBranch:
    """A branch at its flow (thermal) or angle-difference limit."""

    branch_index: int
    """0-based row of ``mpc.branch``."""
    from_bus: int
    to_bus: int
    flow_mw: float
    """From-end flow; positive from ``from_bus`` to ``to_bus``."""
    limit: Literal["thermal", "angle"]
    shadow_price_usd_per_mwh: float
    """Cost saved per MW of extra capacity in the direction of the flow (≥ 0). A branch
    with zero susceptance carries no DC flow; for its angle limit this is the dual per
    radian divided by baseMVA."""


@dataclass(frozen=True)
class DcOpfResult:
    """A verified DC-OPF optimum, with prices per bus in the order of ``bus_id``."""

    case_name: str
    convention: str
    method: str
    """The solution method that produced this answer, e.g. ``shift-factor-qp``."""
    status: str
    objective_usd_per_h: float
    build_seconds: float
    solve_seconds: float
    parse_seconds: float | None
    bus_id: IntArray
    """In-service buses (type 1-3), in file order."""
    lmp_usd_per_mwh: FloatArray
    """Equal to ``energy + congestion + loss`` exactly."""
    energy_usd_per_mwh: FloatArray
    congestion_usd_per_mwh: FloatArray
    loss_usd_per_mwh: FloatArray
    bus_angle_deg: FloatArray
    branch_flow_mw: FloatArray
    """From-end flow of every row of ``mpc.branch``; 0 for out-of-service branches."""
    gen_p_mw: FloatArray
    """Dispatch of every row of ``mpc.gen``; 0 for out-of-service generators."""
    binding_branches: tuple[BindingBranch, ...]
    reference_bus_ids: tuple[int, ...]
    kkt_residual: float
    """Largest violation of the optimality conditions, per unit (accepted ≤ 1e-5)."""
    attempts: tuple[str, ...] = field(default=())
    """Methods tried before ``method`` and why each was rejected."""

    @property
    def total_seconds(self) -> float:
        return (self.parse_seconds or 0.0) + self.build_seconds + self.solve_seconds

    def bus_prices(self) -> list[dict[str, float | int]]:
        """One dict per bus: ``bus``, ``lmp``, ``energy``, ``congestion``, ``loss`` ($/MWh).

        Example::

            >>> result.bus_prices()[0]  # doctest: +SKIP
            {'bus': 1, 'lmp': 10.0, 'energy': 30.0, 'congestion': -20.0, 'loss': 0.0}
        """
        return [
            {"bus": int(bus), "lmp": lmp, "energy": energy, "congestion": congestion, "loss": loss}
            for bus, lmp, energy, congestion, loss in zip(
                self.bus_id.tolist(),
                self.lmp_usd_per_mwh.tolist(),
                self.energy_usd_per_mwh.tolist(),
                self.congestion_usd_per_mwh.tolist(),
                self.loss_usd_per_mwh.tolist(),
                strict=True,
            )
        ]


def solve_dc_opf_file(
    path: str | Path,
    convention: Convention = "powermodels",
    *,
    time_limit_seconds: float = 300.0,
) -> DcOpfResult:
    """Read a MATPOWER case file and solve its DC-OPF (``parse_seconds`` is filled in).

    Example::

        >>> result = solve_dc_opf_file("pglib_opf_case5_pjm.m")  # doctest: +SKIP
        >>> round(result.objective_usd_per_h)  # doctest: +SKIP
        17480
    """
    start = time.perf_counter()
    case = parse_matpower(path)
    parse_seconds = time.perf_counter() - start
    result = solve_dc_opf(case, convention, time_limit_seconds=time_limit_seconds)
    return replace(result, parse_seconds=parse_seconds)


def solve_dc_opf(
    case: MatpowerCase,
    convention: Convention = "powermodels",
    *,
    time_limit_seconds: float = 300.0,
) -> DcOpfResult:
    """Solve the single-period DC-OPF of ``case`` and price every bus.

    ``time_limit_seconds`` bounds each solver attempt. Raises :class:`DcOpfError` if
    the case cannot be modelled (unknown convention, non-convex costs, zero
    impedance) or no method finds a verified optimum (e.g. an infeasible case).

    Example::

        >>> result = solve_dc_opf(parse_matpower("pglib_opf_case24_ieee_rts.m"))  # doctest: +SKIP
        >>> result.method, result.status, round(result.objective_usd_per_h)  # doctest: +SKIP
        ('shift-factor-qp', 'optimal', 61001)
    """
    if convention not in CONVENTIONS:
        raise DcOpfError(f"unknown convention {convention!r}; use one of {', '.join(CONVENTIONS)}")
    start = time.perf_counter()
    model = _build_model(case, convention)
    build_seconds = time.perf_counter() - start

    start = time.perf_counter()
    attempts: list[str] = []
    solution: _Solution | None = None
    for method_name, method in _methods_for(model):
        try:
            candidate = method(model, time_limit_seconds)
        except _AttemptFailed as failure:
            attempts.append(f"{method_name}: {failure}")
            if failure.infeasible and _is_infeasible(model, time_limit_seconds):
                raise DcOpfError(
                    f"{case.name}: infeasible: no dispatch meets the demand within the "
                    f"generator and branch limits ({'; '.join(attempts)}; confirmed by "
                    "HiGHS simplex on the B-θ model)"
                ) from None
            continue
        residual = _kkt_residual(model, candidate)
        if residual <= _KKT_TOLERANCE:
            solution = replace(candidate, method=method_name, kkt_residual=residual)
            break
        attempts.append(f"{method_name}: rejected, KKT residual {residual:.1e} per unit")
    solve_seconds = time.perf_counter() - start
    if solution is None:
        raise DcOpfError(f"{case.name}: no method found a verified optimum ({'; '.join(attempts)})")
    return _result(case, convention, model, solution, attempts, build_seconds, solve_seconds)


# --- the model --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Model:
    """The DC-OPF in the form HiGHS takes: min ½x'Qx + c'x + offset, bounds on Ax and x.

    Columns: generator outputs (pu), bus angles (rad), piecewise-cost epigraphs ($/h).
    Rows: bus balances, branch angle-difference limits, piecewise-cost segments.
    """

    base_mva: float
    bus_rows: IntArray  # rows of mpc.bus that are in service
    gen_rows: IntArray  # rows of mpc.gen in service at an in-service bus
    branch_rows: IntArray  # rows of mpc.branch in service between in-service buses
    from_position: IntArray  # per in-service branch: position of its from bus in bus_rows
    to_position: IntArray
    susceptance_pu: FloatArray
    shift_rad: FloatArray
    load_mw: FloatArray  # per in-service bus: Pd + Gs
    balance_rhs_pu: FloatArray  # per in-service bus: load less phase-shift injection
    gen_bus: IntArray  # per in-service generator: position of its bus in bus_rows
    b_bus: sp.csc_matrix  # B = A'·diag(b)·A over in-service buses
    island: IntArray  # per in-service bus: its connected component
    reference_positions: IntArray  # one per island
    limited_branches: IntArray  # positions (in branch_rows) of branches with a limit row
    limit_incidence: sp.csr_matrix  # θ_f − θ_t of each limit row
    thermal_lower_rad: FloatArray  # per limited branch, the thermal part of its row bounds
    thermal_upper_rad: FloatArray
    quadratic_pu: FloatArray  # per in-service generator: c2 · base², in $/h per pu²
    linear_pu: FloatArray  # per in-service generator: c1 · base
    offset_usd_per_h: float
    matrix: sp.csc_matrix
    col_lower: FloatArray
    col_upper: FloatArray
    row_lower: FloatArray
    row_upper: FloatArray
    col_cost: FloatArray
    row_scale: FloatArray  # turns each row's units into per-unit power for the KKT check
    n_epigraph: int

    @property
    def n_gen(self) -> int:
        return len(self.gen_rows)

    @property
    def n_bus(self) -> int:
        return len(self.bus_rows)

    @property
    def n_limits(self) -> int:
        return len(self.limited_branches)

    @property
    def is_quadratic(self) -> bool:
        return bool(np.any(self.quadratic_pu > 0))

    def hessian_diagonal(self) -> FloatArray:
        diagonal = np.zeros(self.matrix.shape[1])
        diagonal[: self.n_gen] = 2.0 * self.quadratic_pu
        return diagonal

    def objective(self, x: FloatArray) -> float:
        p = x[: self.n_gen]
        return float(self.quadratic_pu @ (p * p) + self.col_cost @ x + self.offset_usd_per_h)


def _build_model(case: MatpowerCase, convention: str) -> _Model:
    if case.gencost is None:
        raise DcOpfError(f"{case.name}: no mpc.gencost table; a DC-OPF needs generator costs")
    if case.hvdc_lines_in_service:
        # Leaving them out would change the optimum without saying so.
        raise DcOpfError(
            f"{case.name}: {case.hvdc_lines_in_service} in-service HVDC line(s) (mpc.dcline); "
            "this DC-OPF does not model HVDC links (set their status to 0 to study the AC "
            "network alone)"
        )
    base = case.base_mva
    if not base > 0:
        raise DcOpfError(f"{case.name}: baseMVA must be positive, got {base}")

    bus_rows = np.flatnonzero(case.bus.bus_type != 4)
    active_ids = case.bus.bus_id[bus_rows]
    order = np.argsort(active_ids)
    sorted_ids = active_ids[order]

    def positions(ids: IntArray) -> tuple[IntArray, NDArray[np.bool_]]:
        """Position in bus_rows of each bus id, and whether that bus is in service."""
        found = np.searchsorted(sorted_ids, ids).clip(0, max(len(sorted_ids) - 1, 0))
        in_service = sorted_ids[found] == ids if len(sorted_ids) else np.zeros(len(ids), bool)
        return order[found].astype(np.int64), in_service

    gen_bus, gen_bus_ok = positions(case.gen.bus_id)
    gen_rows = np.flatnonzero(case.gen.in_service & gen_bus_ok)
    gen_bus = gen_bus[gen_rows]
    from_all, from_ok = positions(case.branch.from_bus)
    to_all, to_ok = positions(case.branch.to_bus)
    branch_rows = np.flatnonzero(case.branch.in_service & from_ok & to_ok)
    from_position, to_position = from_all[branch_rows], to_all[branch_rows]
    n_bus, n_gen, n_branch = len(bus_rows), len(gen_rows), len(branch_rows)
    if n_bus == 0 or n_gen == 0:
        raise DcOpfError(f"{case.name}: no in-service buses or generators")

    susceptance, shift_rad, angle_min, angle_max = _branch_parameters(case, branch_rows, convention)
    incidence = sp.csr_matrix(
        (
            np.concatenate([np.ones(n_branch), -np.ones(n_branch)]),
            (np.tile(np.arange(n_branch), 2), np.concatenate([from_position, to_position])),
        ),
        shape=(n_branch, n_bus),
    )
    b_bus = (incidence.T @ sp.diags(susceptance) @ incidence).tocsc()
    # A phase shift φ lowers the from→to flow by b·φ at given angles; seen from the buses
    # that is an injection A'·(b·φ): +b·φ at the from bus, −b·φ at the to bus.
    shift_injection_pu = incidence.T @ (susceptance * shift_rad)
    load_mw = case.bus.p_demand_mw[bus_rows] + case.bus.shunt_conductance_mw[bus_rows]
    balance_rhs = load_mw / base - shift_injection_pu

    # Thermal limit as an angle-difference interval: φ ± rate/(base·|b|).
    rate_pu = case.branch.rate_a_mva[branch_rows] / base
    has_rating = (rate_pu > 0) & (susceptance != 0)
    with np.errstate(divide="ignore"):
        half_width = np.where(has_rating, rate_pu / np.abs(susceptance), np.inf)
    thermal_lower, thermal_upper = shift_rad - half_width, shift_rad + half_width
    lower = np.maximum(thermal_lower, angle_min)
    upper = np.minimum(thermal_upper, angle_max)
    limited = np.flatnonzero(np.isfinite(lower) | np.isfinite(upper))

    quadratic, linear, offset, pieces = _costs(case, gen_rows)
    # Islands are what branches with a non-zero susceptance hold together.
    reference, island = _reference_positions(case, bus_rows, incidence[susceptance != 0], gen_bus)

    gen_incidence = sp.csc_matrix(
        (np.ones(n_gen), (gen_bus, np.arange(n_gen))), shape=(n_bus, n_gen)
    )
    n_epigraph = pieces.n_gen
    blocks: list[list[Any]] = [[gen_incidence, -b_bus], [None, incidence[limited]]]
    row_lower = [balance_rhs, lower[limited]]
    row_upper = [balance_rhs, upper[limited]]
    if n_epigraph:
        # t_k − slope·base·P_g ≥ intercept for every segment of every piecewise curve.
        n_segments = len(pieces.gen)
        segment = np.arange(n_segments)
        blocks[0].append(None)
        blocks[1].append(None)
        blocks.append(
            [
                sp.csr_matrix(
                    (-pieces.slope * base, (segment, pieces.gen)), shape=(n_segments, n_gen)
                ),
                sp.csr_matrix((n_segments, n_bus)),
                sp.csr_matrix(
                    (np.ones(n_segments), (segment, pieces.epigraph)),
                    shape=(n_segments, n_epigraph),
                ),
            ]
        )
        row_lower.append(pieces.intercept)
        row_upper.append(np.full(n_segments, np.inf))
    matrix = sp.bmat(blocks, format="csc")

    p_min = case.gen.p_min_mw[gen_rows] / base
    p_max = case.gen.p_max_mw[gen_rows] / base
    theta_lower = np.full(n_bus, -np.inf)
    theta_upper = np.full(n_bus, np.inf)
    theta_lower[reference] = theta_upper[reference] = 0.0
    return _Model(
        base_mva=base,
        bus_rows=bus_rows,
        gen_rows=gen_rows,
        branch_rows=branch_rows,
        from_position=from_position,
        to_position=to_position,
        susceptance_pu=susceptance,
        shift_rad=shift_rad,
        load_mw=load_mw,
        balance_rhs_pu=balance_rhs,
        gen_bus=gen_bus,
        b_bus=b_bus,
        island=island,
        reference_positions=reference,
        limited_branches=limited,
        limit_incidence=incidence[limited],
        thermal_lower_rad=thermal_lower[limited],
        thermal_upper_rad=thermal_upper[limited],
        quadratic_pu=quadratic * base * base,
        linear_pu=linear * base,
        offset_usd_per_h=offset,
        matrix=matrix,
        col_lower=np.concatenate([p_min, theta_lower, np.full(n_epigraph, -np.inf)]),
        col_upper=np.concatenate([p_max, theta_upper, np.full(n_epigraph, np.inf)]),
        row_lower=np.concatenate(row_lower),
        row_upper=np.concatenate(row_upper),
        col_cost=np.concatenate([linear * base, np.zeros(n_bus), np.ones(n_epigraph)]),
        # Balance rows are in pu; limit rows in rad, times |b| gives pu flow; segment rows
        # are in $/h, divided by a typical price gives pu power.
        row_scale=np.concatenate(
            [
                np.ones(n_bus),
                np.where(susceptance[limited] != 0, np.abs(susceptance[limited]), 1.0),
                np.full(
                    len(pieces.gen),
                    1.0 / max(1.0, float(np.max(np.abs(pieces.slope * base), initial=0))),
                ),
            ]
        ),
        n_epigraph=n_epigraph,
    )


def _branch_parameters(
    case: MatpowerCase, branch_rows: IntArray, convention: str
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Susceptance (pu), phase shift (rad) and angle-difference limits (rad) per branch."""
    branch = case.branch
    r = branch.r_pu[branch_rows]
    x = branch.x_pu[branch_rows]
    angle_min = np.deg2rad(branch.angle_min_deg[branch_rows])
    angle_max = np.deg2rad(branch.angle_max_deg[branch_rows])
    if convention == "powermodels":
        impedance_squared = r * r + x * x
        _reject_branches(case, branch_rows, impedance_squared == 0, "has r = x = 0")
        susceptance = x / impedance_squared
        shift_rad = np.zeros(len(branch_rows))
        # PowerModels' correct_voltage_angle_differences!.
        pad = _POWERMODELS_ANGLE_PAD_RAD
        both_zero = (angle_min == 0) & (angle_max == 0)
        angle_min = np.where((angle_min <= -math.pi / 2) | both_zero, -pad, angle_min)
        angle_max = np.where((angle_max >= math.pi / 2) | both_zero, pad, angle_max)
    else:
        tap = branch.tap_ratio[branch_rows]
        tap = np.where(tap == 0, 1.0, tap)
        _reject_branches(case, branch_rows, x == 0, "has x = 0 (no DC susceptance)")
        susceptance = 1.0 / (x * tap)
        shift_rad = np.deg2rad(branch.shift_deg[branch_rows])
        # MATPOWER enforces a limit only when it is non-zero and tighter than ±360°.
        no_lower = (angle_min == 0) | (angle_min <= -2 * math.pi)
        no_upper = (angle_max == 0) | (angle_max >= 2 * math.pi)
        angle_min = np.where(no_lower, -np.inf, angle_min)
        angle_max = np.where(no_upper, np.inf, angle_max)
    return susceptance, shift_rad, angle_min, angle_max


def _reject_branches(
    case: MatpowerCase, branch_rows: IntArray, bad: NDArray[np.bool_], reason: str
) -> None:
    if np.any(bad):
        row = int(branch_rows[np.flatnonzero(bad)[0]])
        raise DcOpfError(
            f"{case.name}: branch {row + 1} ({int(case.branch.from_bus[row])}-"
            f"{int(case.branch.to_bus[row])}) {reason}"
        )


@dataclass(frozen=True)
class _PiecewiseCosts:
    """Segments of the convex piecewise-linear cost curves (gencost model 1)."""

    n_gen: int  # generators with a piecewise curve, each with one epigraph column
    gen: IntArray  # per segment: the generator's position among in-service generators
    epigraph: IntArray  # per segment: its epigraph column (0 .. n_gen-1)
    slope: FloatArray  # $/MWh
    intercept: FloatArray  # $/h at P = 0


def _costs(
    case: MatpowerCase, gen_rows: IntArray
) -> tuple[FloatArray, FloatArray, float, _PiecewiseCosts]:
    """Quadratic and linear coefficients ($/h per MW², per MW), constant and pieces."""
    assert case.gencost is not None
    model = case.gencost.model[gen_rows]
    n_cost = case.gencost.n_cost[gen_rows]
    parameters = case.gencost.parameters[gen_rows]
    n_gen = len(gen_rows)
    quadratic = np.zeros(n_gen)
    linear = np.zeros(n_gen)
    constant = np.zeros(n_gen)

    polynomial = model == GENCOST_POLYNOMIAL
    # Terms above the square must be zero: c(n-1) ... c3, the first n − 3 parameters.
    above_square = np.arange(parameters.shape[1]) < (n_cost[:, None] - 3)
    too_high = polynomial & np.any(above_square & (parameters != 0), axis=1)
    if np.any(too_high):
        row = int(gen_rows[np.flatnonzero(too_high)[0]])
        raise DcOpfError(
            f"{case.name}: generator {row + 1} has a polynomial cost of degree "
            f"{int(case.gencost.n_cost[row]) - 1}; only degree 2 or lower is supported"
        )
    # Coefficients are stored highest order first: c(n-1) ... c1 c0.
    for n in range(1, int(n_cost.max(initial=0)) + 1):
        rows = np.flatnonzero(polynomial & (n_cost == n))
        constant[rows] = parameters[rows, n - 1]
        if n >= 2:
            linear[rows] = parameters[rows, n - 2]
        if n >= 3:
            quadratic[rows] = parameters[rows, n - 3]
    if np.any(quadratic < 0):
        row = int(gen_rows[np.flatnonzero(quadratic < 0)[0]])
        raise DcOpfError(f"{case.name}: generator {row + 1} has a concave (c2 < 0) cost")
    return quadratic, linear, float(constant.sum()), _piecewise(case, gen_rows, model, n_cost)


def _piecewise(
    case: MatpowerCase, gen_rows: IntArray, model: IntArray, n_cost: IntArray
) -> _PiecewiseCosts:
    assert case.gencost is not None
    gens = np.flatnonzero((model == GENCOST_PIECEWISE_LINEAR) & (n_cost >= 2))
    if len(gens) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _PiecewiseCosts(0, empty, empty, np.zeros(0), np.zeros(0))
    points = case.gencost.parameters[gen_rows[gens]]
    n_segments = n_cost[gens] - 1
    # Segment k of a curve joins point k and point k+1 (p at 2k, f at 2k+1).
    owner = np.repeat(np.arange(len(gens)), n_segments)
    k = np.arange(len(owner)) - np.repeat(np.cumsum(n_segments) - n_segments, n_segments)
    p0, f0 = points[owner, 2 * k], points[owner, 2 * k + 1]
    p1, f1 = points[owner, 2 * k + 2], points[owner, 2 * k + 3]
    width = p1 - p0
    bad = width <= 0
    if np.any(bad):
        row = int(gen_rows[gens[owner[np.flatnonzero(bad)[0]]]])
        raise DcOpfError(
            f"{case.name}: generator {row + 1} piecewise cost points are not increasing in MW"
        )
    slope = (f1 - f0) / width
    same_curve = owner[1:] == owner[:-1]
    falling = same_curve & (np.diff(slope) < -1e-9 * np.maximum(1.0, np.abs(slope[1:])))
    if np.any(falling):
        row = int(gen_rows[gens[owner[1:][falling][0]]])
        raise DcOpfError(f"{case.name}: generator {row + 1} piecewise cost is not convex")
    return _PiecewiseCosts(
        n_gen=len(gens),
        gen=gens[owner].astype(np.int64),
        epigraph=owner.astype(np.int64),
        slope=slope,
        intercept=f0 - slope * p0,
    )


def _reference_positions(
    case: MatpowerCase, bus_rows: IntArray, connections: sp.csr_matrix, gen_bus: IntArray
) -> tuple[IntArray, IntArray]:
    """One fixed-angle bus per island (its type-3 bus, else its first generator bus),
    and the island of every bus."""
    n_bus = len(bus_rows)
    adjacency = connections.T @ connections
    n_islands, island = connected_components(adjacency, directed=False)
    is_reference = case.bus.bus_type[bus_rows] == 3
    candidates = np.flatnonzero(is_reference)
    has_reference = np.zeros(n_islands, dtype=bool)
    has_reference[island[candidates]] = True
    # Islands without a type-3 bus: fix a bus with a generator, else the first bus.
    fallback = np.concatenate([gen_bus, np.arange(n_bus)])
    _, first = np.unique(island[fallback], return_index=True)
    extra = fallback[first]
    extra = extra[~has_reference[island[extra]]]
    reference = np.unique(np.concatenate([candidates, extra])).astype(np.int64)
    # Keep one reference per island (a file may mark several type-3 buses in one island).
    _, first_per_island = np.unique(island[reference], return_index=True)
    return reference[first_per_island], island.astype(np.int64)


# --- solving ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Solution:
    x: FloatArray
    row_dual: FloatArray
    """∂objective/∂(row bound), in $/h per unit of the row (HiGHS sign convention)."""
    objective_usd_per_h: float
    method: str = ""
    kkt_residual: float = math.inf
    note: str = ""


class _AttemptFailed(Exception):
    def __init__(self, message: str, infeasible: bool = False) -> None:
        super().__init__(message)
        self.infeasible = infeasible


_Method = Callable[[_Model, float], _Solution]


def _methods_for(model: _Model) -> Sequence[tuple[str, _Method]]:
    """Solution methods in the order they are tried.

    The shift-factor method is tried first: on a 10,000-bus case it takes a few
    hundredths of a second where HiGHS on the full B-θ model takes seconds (LP) or
    fails (QP). The B-θ model itself is the fallback, then cutting planes for a QP.
    """
    if model.is_quadratic:
        return (
            ("shift-factor-qp", _solve_shift_factors),
            ("highs-qp", lambda m, t: _solve_highs(m, t, {}, quadratic=True)),
            ("lp-outer-approximation", _solve_outer_approximation),
        )
    return (
        ("shift-factor-lp", _solve_shift_factors),
        ("highs-simplex", lambda m, t: _solve_highs(m, t, {"solver": "simplex"})),
        ("highs-ipm", lambda m, t: _solve_highs(m, t, {"solver": "ipm", "run_crossover": "on"})),
    )


def _is_infeasible(model: _Model, time_limit_seconds: float) -> bool:
    """Whether HiGHS's simplex finds the B-θ constraints infeasible (costs dropped)."""
    lp = _highs_lp(
        model.matrix,
        np.zeros(model.matrix.shape[1]),
        model.col_lower,
        model.col_upper,
        model.row_lower,
        model.row_upper,
    )
    try:
        _run_highs(lp, None, time_limit_seconds, {"solver": "simplex"})
    except _AttemptFailed as failure:
        return failure.infeasible
    return False


def _highs_lp(
    matrix: sp.csc_matrix,
    col_cost: FloatArray,
    col_lower: FloatArray,
    col_upper: FloatArray,
    row_lower: FloatArray,
    row_upper: FloatArray,
) -> highspy.HighsLp:
    lp = highspy.HighsLp()
    lp.num_col_ = matrix.shape[1]
    lp.num_row_ = matrix.shape[0]
    lp.col_cost_ = col_cost
    lp.col_lower_ = _highs_bounds(col_lower)
    lp.col_upper_ = _highs_bounds(col_upper)
    lp.row_lower_ = _highs_bounds(row_lower)
    lp.row_upper_ = _highs_bounds(row_upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(np.float64)
    return lp


def _highs_bounds(values: FloatArray) -> FloatArray:
    return np.clip(values, -highspy.kHighsInf, highspy.kHighsInf)


def _new_highs(time_limit_seconds: float, options: dict[str, Any]) -> highspy.Highs:
    highs = _quiet_highs()
    highs.setOptionValue("time_limit", float(time_limit_seconds))
    for name, value in options.items():
        highs.setOptionValue(name, value)
    return highs


def _quiet_highs() -> highspy.Highs:
    """A silent HiGHS instance. The first one of a process prints a banner on the C-level
    stdout before any option can be set, which would corrupt ``--json`` output, so
    that one is created with file descriptor 1 pointed at /dev/null."""
    global _banner_suppressed
    with _banner_lock:
        if not _banner_suppressed:
            sys.stdout.flush()
            saved_stdout = os.dup(1)
            try:
                with open(os.devnull, "w") as devnull:
                    os.dup2(devnull.fileno(), 1)
                    highs = highspy.Highs()
            finally:
                os.dup2(saved_stdout, 1)
                os.close(saved_stdout)
            _banner_suppressed = True
        else:
            highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    return highs


_banner_lock = threading.Lock()
_banner_suppressed = False


def _load(highs: highspy.Highs, lp: highspy.HighsLp, hessian_diagonal: FloatArray | None) -> None:
    if hessian_diagonal is None:
        status = highs.passModel(lp)
    else:
        model = highspy.HighsModel()
        model.lp_ = lp
        columns = np.flatnonzero(hessian_diagonal)
        # Triangular column-wise Hessian holding only the diagonal.
        model.hessian_.dim_ = lp.num_col_
        model.hessian_.format_ = highspy.HessianFormat.kTriangular
        model.hessian_.start_ = np.searchsorted(columns, np.arange(lp.num_col_ + 1)).astype(
            np.int32
        )
        model.hessian_.index_ = columns.astype(np.int32)
        model.hessian_.value_ = hessian_diagonal[columns]
        status = highs.passModel(model)
    if status == highspy.HighsStatus.kError:
        raise _AttemptFailed("HiGHS rejected the model")


def _optimum(highs: highspy.Highs) -> tuple[FloatArray, FloatArray]:
    """Run HiGHS; (column values, row duals) of an optimum, else :class:`_AttemptFailed`."""
    highs.run()
    model_status = highs.getModelStatus()
    if model_status != highspy.HighsModelStatus.kOptimal:
        infeasible = model_status in (
            highspy.HighsModelStatus.kInfeasible,
            highspy.HighsModelStatus.kUnboundedOrInfeasible,
        )
        raise _AttemptFailed(
            f"model status {highs.modelStatusToString(model_status)}", infeasible=infeasible
        )
    solution = highs.getSolution()
    if not solution.value_valid or not solution.dual_valid:
        raise _AttemptFailed("HiGHS reported optimal but returned no primal/dual solution")
    return np.asarray(solution.col_value), np.asarray(solution.row_dual)


def _run_highs(
    lp: highspy.HighsLp,
    hessian_diagonal: FloatArray | None,
    time_limit_seconds: float,
    options: dict[str, Any],
) -> tuple[FloatArray, FloatArray]:
    """Solve once with HiGHS; (column values, row duals) or :class:`_AttemptFailed`."""
    highs = _new_highs(time_limit_seconds, options)
    _load(highs, lp, hessian_diagonal)
    return _optimum(highs)


def _solve_highs(
    model: _Model, time_limit_seconds: float, options: dict[str, Any], quadratic: bool = False
) -> _Solution:
    lp = _highs_lp(
        model.matrix,
        model.col_cost,
        model.col_lower,
        model.col_upper,
        model.row_lower,
        model.row_upper,
    )
    x, row_dual = _run_highs(
        lp, model.hessian_diagonal() if quadratic else None, time_limit_seconds, options
    )
    return _Solution(x=x, row_dual=row_dual, objective_usd_per_h=model.objective(x))


def _solve_shift_factors(model: _Model, time_limit_seconds: float) -> _Solution:
    """The same optimum with the angles eliminated: generator outputs are the only
    variables, each island has one balance row, and a branch limit becomes a row of
    shift factors (∂(θ_f − θ_t)/∂P_g) only once a solution violates it.

    HiGHS's active-set QP handles this small problem well, where the full B-θ QP of a
    10,000-bus case defeats it. The bus prices and the angles of the full model are
    recovered from one sparse factorisation of B, and the KKT check that follows is
    done on the full B-θ model.
    """
    deadline = time.perf_counter() + time_limit_seconds
    n_gen, n_bus, n_limits = model.n_gen, model.n_bus, model.n_limits
    non_reference = np.setdiff1d(np.arange(n_bus), model.reference_positions)
    try:
        factor = splu(model.b_bus[non_reference][:, non_reference].tocsc(), permc_spec="COLAMD")
    except RuntimeError as error:
        raise _AttemptFailed(f"susceptance matrix cannot be factorised ({error})") from None

    def solve_b(rhs: FloatArray) -> FloatArray:
        """B⁻¹·rhs with the reference angles held at 0, for a vector or columns."""
        result = np.zeros((n_bus, *rhs.shape[1:]))
        if len(non_reference):
            result[non_reference] = factor.solve(np.ascontiguousarray(rhs[non_reference]))
        return result

    n_islands = int(model.island.max()) + 1
    island_balance = sp.csr_matrix(
        (np.ones(n_gen), (model.island[model.gen_bus], np.arange(n_gen))), shape=(n_islands, n_gen)
    )
    island_load = np.bincount(model.island, weights=model.balance_rhs_pu, minlength=n_islands)
    gen_incidence = sp.csr_matrix(
        (np.ones(n_gen), (model.gen_bus, np.arange(n_gen))), shape=(n_bus, n_gen)
    )
    limit_lower = model.row_lower[n_bus : n_bus + n_limits]
    limit_upper = model.row_upper[n_bus : n_bus + n_limits]
    # Limit rows are posed in pu flow (angle difference times |b|): the coefficients are
    # then PTDFs in [-1, 1] and HiGHS's feasibility tolerance applies to MW, not radians.
    limit_scale = model.row_scale[n_bus : n_bus + n_limits]
    # Angle differences of the load alone: θ_f − θ_t = (A_lim·B⁻¹·C_g)·P − load_difference.
    load_difference = model.limit_incidence @ solve_b(model.balance_rhs_pu)
    # Width of each limit in pu flow; a one-sided limit counts its bound twice.
    limit_width = limit_scale * np.where(
        np.isfinite(limit_upper - limit_lower),
        limit_upper - limit_lower,
        2 * np.fmin(np.abs(limit_lower), np.abs(limit_upper)),
    )
    # Piecewise-cost segment rows touch only generator and epigraph columns.
    epigraph_columns = np.arange(n_gen + n_bus, n_gen + n_bus + model.n_epigraph)
    segment_rows = model.matrix[n_bus + n_limits :][:, np.r_[np.arange(n_gen), epigraph_columns]]

    # Rows: island balances, then cost segments, then the monitored limits as they come.
    columns = np.r_[np.arange(n_gen), epigraph_columns]
    n_segments = segment_rows.shape[0]
    lp = _highs_lp(
        sp.vstack(
            [
                sp.hstack([island_balance, sp.csr_matrix((n_islands, model.n_epigraph))]),
                segment_rows,
            ]
        ).tocsc(),
        model.col_cost[columns],
        model.col_lower[columns],
        model.col_upper[columns],
        np.concatenate([island_load, model.row_lower[n_bus + n_limits :]]),
        np.concatenate([island_load, model.row_upper[n_bus + n_limits :]]),
    )
    highs = _new_highs(time_limit_seconds, {})
    _load(highs, lp, model.hessian_diagonal()[columns] if model.is_quadratic else None)
    monitored = np.zeros(0, dtype=np.int64)
    for _ in range(_SHIFT_FACTOR_ROUNDS):
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            raise _AttemptFailed("time limit reached")
        highs.setOptionValue("time_limit", remaining)
        # Re-solves start from the previous basis, so each round costs a few pivots.
        values, duals = _optimum(highs)
        p = values[:n_gen]
        theta = solve_b(gen_incidence @ p - model.balance_rhs_pu)
        difference = model.limit_incidence @ theta
        flow_margin = limit_scale * np.minimum(difference - limit_lower, limit_upper - difference)
        violated = np.setdiff1d(np.flatnonzero(flow_margin < -_SHIFT_FACTOR_FEASIBILITY), monitored)
        if len(violated) == 0:
            break
        # Add the violated limits and any within a few percent of theirs, worst first (a
        # batch at a time to keep the dense rows few): fewer rounds of re-solving.
        nearly = flow_margin < _SHIFT_FACTOR_NEAR_SHARE * limit_width
        added = np.union1d(violated, np.setdiff1d(np.flatnonzero(nearly), monitored))
        added = added[np.argsort(flow_margin[added])][:_SHIFT_FACTOR_BATCH]
        # Rows of |b|·A_lim·B⁻¹ at the generator buses (PTDFs), in pu flow.
        sensitivity = solve_b(model.limit_incidence[added].T.toarray())
        rows = sp.csr_matrix(
            np.hstack(
                [
                    sensitivity[model.gen_bus].T * limit_scale[added, None],
                    np.zeros((len(added), model.n_epigraph)),
                ]
            )
        )
        highs.addRows(
            len(added),
            _highs_bounds(limit_scale[added] * (limit_lower[added] + load_difference[added])),
            _highs_bounds(limit_scale[added] * (limit_upper[added] + load_difference[added])),
            rows.nnz,
            rows.indptr.astype(np.int32),
            rows.indices.astype(np.int32),
            rows.data,
        )
        monitored = np.concatenate([monitored, added])
    else:
        raise _AttemptFailed(f"limits still violated after {_SHIFT_FACTOR_ROUNDS} rounds")

    # Duals of the full model: λ = ν(island) + B⁻¹·A_mon'·μ_mon (the PTDF form of the LMP).
    island_price = duals[:n_islands]
    segment_price = duals[n_islands : n_islands + n_segments]
    limit_price = np.zeros(n_limits)
    # Back from $/h per pu flow to $/h per radian of the full model's rows.
    limit_price[monitored] = duals[n_islands + n_segments :] * limit_scale[monitored]
    congestion_part = solve_b(model.limit_incidence.T @ limit_price)
    balance_price = island_price[model.island] + congestion_part
    x = np.concatenate([p, theta, values[n_gen:]])
    row_dual = np.concatenate([balance_price, limit_price, segment_price])
    return _Solution(x=x, row_dual=row_dual, objective_usd_per_h=model.objective(x))


def _solve_outer_approximation(model: _Model, time_limit_seconds: float) -> _Solution:
    """The QP as a sequence of LPs (Kelley's cutting planes): each quadratic cost becomes
    an epigraph variable bounded below by tangent lines, and after every LP a tangent is
    added at the new dispatch, until the LP optimum passes the KKT check of the QP.
    The LP is re-solved from the previous basis, so each round costs a few pivots."""
    deadline = time.perf_counter() + time_limit_seconds
    n_rows, n_cols = model.matrix.shape
    curved = np.flatnonzero(model.quadratic_pu > 0)
    n_curved = len(curved)
    c2 = model.quadratic_pu[curved]
    c1 = model.linear_pu[curved]
    col_cost = model.col_cost.copy()
    col_cost[curved] = 0.0  # the cost of curved generators moves into their epigraphs

    def tangents(points: FloatArray, owner: IntArray) -> tuple[sp.csr_matrix, FloatArray]:
        """Rows t − (2·c2·p0 + c1)·p ≥ −c2·p0² over the columns [x, t]."""
        slope = 2 * c2[owner] * points + c1[owner]
        rows = np.arange(len(owner))
        matrix = sp.csr_matrix(
            (
                np.concatenate([-slope, np.ones(len(owner))]),
                (np.tile(rows, 2), np.concatenate([curved[owner], n_cols + owner])),
            ),
            shape=(len(owner), n_cols + n_curved),
        )
        return matrix, -c2[owner] * points * points

    # Start with tangents at 17 evenly spaced points of each generator's range.
    share = np.repeat(np.linspace(0.0, 1.0, 17), n_curved)
    owner = np.tile(np.arange(n_curved), 17)
    p_min, p_max = model.col_lower[curved], model.col_upper[curved]
    cuts, cut_lower = tangents(p_min[owner] + (p_max - p_min)[owner] * share, owner)
    lp = _highs_lp(
        sp.vstack([sp.hstack([model.matrix, sp.csr_matrix((n_rows, n_curved))]), cuts]).tocsc(),
        np.concatenate([col_cost, np.ones(n_curved)]),
        np.concatenate([model.col_lower, np.full(n_curved, -np.inf)]),
        np.concatenate([model.col_upper, np.full(n_curved, np.inf)]),
        np.concatenate([model.row_lower, cut_lower]),
        np.concatenate([model.row_upper, np.full(len(owner), np.inf)]),
    )
    # Devex pricing: the default steepest-edge weights cost seconds to rebuild per round
    # on a 10,000-bus model. Tight tolerances let the tangents close in on the optimum.
    options = {
        "solver": "simplex",
        "simplex_dual_edge_weight_strategy": 1,
        "primal_feasibility_tolerance": 1e-9,
        "dual_feasibility_tolerance": 1e-9,
    }
    highs = _new_highs(time_limit_seconds, options)
    _load(highs, lp, None)
    every_curved = np.arange(n_curved)
    for _ in range(_OUTER_APPROXIMATION_ROUNDS):
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            raise _AttemptFailed("time limit reached")
        highs.setOptionValue("time_limit", remaining)
        values, duals = _optimum(highs)
        x = values[:n_cols]
        candidate = _Solution(x=x, row_dual=duals[:n_rows], objective_usd_per_h=model.objective(x))
        if _kkt_residual(model, candidate) <= _KKT_TOLERANCE:
            return candidate
        cuts, cut_lower = tangents(x[curved], every_curved)
        highs.addRows(
            n_curved,
            _highs_bounds(cut_lower),
            np.full(n_curved, highspy.kHighsInf),
            cuts.nnz,
            cuts.indptr.astype(np.int32),
            cuts.indices.astype(np.int32),
            cuts.data,
        )
    raise _AttemptFailed(f"no convergence in {_OUTER_APPROXIMATION_ROUNDS} rounds")


def _kkt_residual(model: _Model, solution: _Solution) -> float:
    """Largest violation of the optimality (KKT) conditions, in per-unit power.

    Uses the projection form: x is optimal with row multipliers y iff x = clip(x − z/s)
    on the column bounds and Ax = clip(Ax − y/s) on the row bounds, where z = c + Qx − A'y
    are the reduced costs and s a price scale. This one measure covers primal
    feasibility, the signs of the multipliers and complementarity.
    """
    x, y = solution.x, solution.row_dual
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        return math.inf
    activity = model.matrix @ x
    reduced_cost = model.col_cost + model.hessian_diagonal() * x - model.matrix.T @ y
    # Rows are measured as if scaled to pu power: a row times k has activity k·a, bounds
    # k·[lo, hi] and multiplier y/k.
    k = model.row_scale
    scale = max(1.0, float(np.max(np.abs(model.col_cost))), float(np.max(np.abs(y / k), initial=0)))
    # Angles (rad) and epigraphs ($/h) are free columns: the clip demands their reduced
    # costs vanish.
    column_residual = x - np.clip(x - reduced_cost / scale, model.col_lower, model.col_upper)
    row_residual = k * activity - np.clip(
        k * activity - y / (k * scale), k * model.row_lower, k * model.row_upper
    )
    return float(
        max(np.max(np.abs(column_residual), initial=0), np.max(np.abs(row_residual), initial=0))
    )


# --- the result -------------------------------------------------------------------------


def _result(
    case: MatpowerCase,
    convention: str,
    model: _Model,
    solution: _Solution,
    attempts: list[str],
    build_seconds: float,
    solve_seconds: float,
) -> DcOpfResult:
    base = model.base_mva
    n_gen, n_bus = model.n_gen, model.n_bus
    x, y = solution.x, solution.row_dual
    theta = x[n_gen : n_gen + n_bus]

    lmp = y[:n_bus] / base
    load = np.maximum(model.load_mw, 0.0)
    if load.sum() > 0:
        energy_price = float(load @ lmp / load.sum())
    else:
        energy_price = float(lmp[model.reference_positions[0]])
    energy = np.full(n_bus, energy_price)
    congestion = lmp - energy
    loss = np.zeros(n_bus)
    # Report the LMP as the sum of its parts so the identity holds to the last bit.
    lmp = energy + congestion + loss

    branch_flow = np.zeros(case.n_branch)
    angle_difference = theta[model.from_position] - theta[model.to_position]
    flow_mw = base * model.susceptance_pu * (angle_difference - model.shift_rad)
    branch_flow[model.branch_rows] = flow_mw

    gen_p = np.zeros(case.n_gen)
    gen_p[model.gen_rows] = x[:n_gen] * base

    limit_dual = y[n_bus : n_bus + len(model.limited_branches)]
    binding: list[BindingBranch] = []
    # ∂cost/∂(angle-difference bound) → per MW of flow: divide by base·|b|.
    for k in np.flatnonzero(limit_dual != 0):
        position = int(model.limited_branches[k])
        per_mw = base * abs(float(model.susceptance_pu[position])) or base
        price = abs(float(limit_dual[k])) / per_mw
        if price < _BINDING_PRICE_TOLERANCE:
            continue
        bound = model.row_upper[n_bus + k] if limit_dual[k] < 0 else model.row_lower[n_bus + k]
        thermal = model.thermal_upper_rad[k] if limit_dual[k] < 0 else model.thermal_lower_rad[k]
        row = int(model.branch_rows[position])
        binding.append(
            BindingBranch(
                branch_index=row,
                from_bus=int(case.branch.from_bus[row]),
                to_bus=int(case.branch.to_bus[row]),
                flow_mw=float(flow_mw[position]),
                limit="thermal" if np.isclose(bound, thermal, rtol=1e-12, atol=0) else "angle",
                shadow_price_usd_per_mwh=price,
            )
        )
    return DcOpfResult(
        case_name=case.name,
        convention=convention,
        method=solution.method,
        status="optimal",
        objective_usd_per_h=solution.objective_usd_per_h,
        build_seconds=build_seconds,
        solve_seconds=solve_seconds,
        parse_seconds=None,
        bus_id=case.bus.bus_id[model.bus_rows],
        lmp_usd_per_mwh=lmp,
        energy_usd_per_mwh=energy,
        congestion_usd_per_mwh=congestion,
        loss_usd_per_mwh=loss,
        bus_angle_deg=np.rad2deg(theta),
        branch_flow_mw=branch_flow,
        gen_p_mw=gen_p,
        binding_branches=tuple(binding),
        reference_bus_ids=tuple(
            int(i) for i in case.bus.bus_id[model.bus_rows[model.reference_positions]]
        ),
        kkt_residual=solution.kkt_residual,
        attempts=tuple(attempts),
    )
