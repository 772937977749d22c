"""Unit commitment family: a tight three-binary formulation.

Per unit ``i`` and period ``t`` (``h`` = period hours, ``RU``/``RD`` ramp MW per
period, ``SU``/``SD`` start-up/shut-down ramp MW, ``u⁰``/``p⁰`` initial state):

* commitment ``u`` (binary), start-up ``v`` and shut-down ``w`` (continuous in
  [0, 1]; integral whenever ``u`` is):  ``u_t − u_{t−1} = v_t − w_t``
* output ``p = Pmin·u + Σ_k s_k`` with offer segments ``0 ≤ s_k ≤ width_k``
* capacity ``p + ru + sp + ns ≤ (Pmax − NSoff)·u + NSoff`` (``NSoff``: a
  quick-start unit's offline non-spinning capacity) and ``p − rd ≥ Pmin·u``
* start-up / shut-down capability (Morales-España et al.)
  ``p + ru + sp ≤ Pmax·u_t − (Pmax − SU)·v_t`` and
  ``p + ru + sp ≤ Pmax·u_t − (Pmax − SD)·w_{t+1}``
* ramping ``p_t − p_{t−1} ≤ RU·u_{t−1} + SU·v_t`` and
  ``p_{t−1} − p_t ≤ RD·u_t + SD·w_t``
* minimum up/down time (Rajan–Takriti) ``Σ_{τ=t−UT+1..t} v_τ ≤ u_t`` and
  ``Σ_{τ=t−DT+1..t} w_τ ≤ 1 − u_t`` (for ``UT = DT = 1`` these still say
  ``v ≤ u`` and ``w ≤ 1 − u``, which keep ``v`` and ``w`` integral); the initial
  state fixes ``u`` for the periods it still binds.

Self-schedules are price-taking: the self-scheduled MW above ``Pmin`` is
segment 0, priced at minus the curtailment penalty of its type; the part within
``Pmin`` earns the same credit on ``u``. A constant objective offset makes a
fully delivered self-schedule cost nothing, so the objective shows only
curtailment. Economic segments start above the self-schedule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gridmarket.clearing.inputs import (
    NO_SELF_SCHEDULE,
    Penalties,
    Periods,
    ReserveProduct,
    UnitOffers,
)
from gridmarket.clearing.linear_model import FloatArray, IntArray, LinearModel

UNIT_ROW_FAMILIES = (
    "output_definition",
    "capacity",
    "min_output",
    "startup_capability",
    "shutdown_capability",
    "ramp_up",
    "ramp_down",
    "logic",
    "min_up",
    "min_down",
)
# Rows whose shadow price can make a unit deviate from the merit order, and which
# of them also involve the output of the previous period (ramps).
LIMIT_FAMILIES = ("capacity", "min_output", "startup_capability", "shutdown_capability",
                  "ramp_up", "ramp_down")
INTERTEMPORAL_FAMILIES = ("ramp_up", "ramp_down")


@dataclass
class UnitBlock:
    """Indices of the unit family; ``rows`` maps a family name to ``(unit, period)`` rows."""

    commit: IntArray
    startup: IntArray
    shutdown: IntArray
    output: IntArray
    segment: IntArray
    rows: dict[str, IntArray] = field(default_factory=dict)


def effective_segments(units: UnitOffers, penalties: Penalties) -> tuple[FloatArray, FloatArray]:
    """Segment widths and prices as cleared: ``(unit, period, 1 + segment)``.

    Segment 0 is the self-scheduled MW above ``Pmin`` at minus the curtailment
    penalty; segments 1.. are the offer curve cut to start above the self-schedule.

    Example::

        >>> from gridmarket.clearing.inputs import UnitOffers, Penalties
        >>> u = UnitOffers.create(["G"], ["A"], 1, p_max_mw=100.0, offer_mw=[[60.0, 40.0]],
        ...     offer_price_usd_per_mwh=[[10.0, 20.0]], self_schedule_mw=70.0,
        ...     self_schedule_type=["PT"])
        >>> w, p = effective_segments(u, Penalties.from_rules())
        >>> w[0, 0].tolist()
        [70.0, 0.0, 30.0]
    """
    p_min, p_max = units.p_min_mw, units.p_max_mw
    above_min = np.clip(units.self_schedule_mw - p_min, 0.0, p_max - p_min)
    top = np.cumsum(units.offer_mw, axis=2)
    bottom = top - units.offer_mw
    economic = np.clip(top - np.maximum(bottom, above_min[:, :, None]), 0.0, None)
    width = np.concatenate([above_min[:, :, None], economic], axis=2)
    price = np.concatenate(
        [-curtailment_price(units, penalties)[:, None, None]
         * np.ones_like(above_min)[:, :, None], units.offer_price_usd_per_mwh], axis=2)
    return width, price


def curtailment_price(units: UnitOffers, penalties: Penalties) -> FloatArray:
    """Curtailment penalty ($/MWh) of each unit's self-schedule type (0 if none)."""
    ladder = penalties.self_schedule_usd_per_mwh
    kinds = np.array([NO_SELF_SCHEDULE, *ladder], dtype=np.str_)
    prices = np.array([0.0, *ladder.values()], dtype=np.float64)
    order = np.argsort(kinds)
    position = np.searchsorted(kinds[order], units.self_schedule_type).clip(max=kinds.size - 1)
    known = kinds[order][position] == units.self_schedule_type
    return np.where(known, prices[order][position], 0.0)


def offline_non_spin_mw(units: UnitOffers, with_reserves: bool) -> FloatArray:
    """Non-spinning capacity a quick-start unit offers while offline ``(unit, period)``."""
    if not with_reserves:
        return np.zeros(units.p_max_mw.shape)
    ns = units.reserve_offer_mw[:, :, ReserveProduct.NON_SPIN]
    return np.where(units.quick_start[:, None], ns, 0.0)


def add_units(
    model: LinearModel,
    units: UnitOffers,
    periods: Periods,
    penalties: Penalties,
    *,
    with_reserves: bool,
    integer: bool = True,
) -> UnitBlock:
    """Add commitment, output and segment variables with their constraints and costs."""
    n, nt = units.n_units, periods.count
    hours, minutes = periods.hours, periods.duration_minutes
    p_min, p_max = units.p_min_mw, units.p_max_mw
    pen = curtailment_price(units, penalties)
    width, price = effective_segments(units, penalties)
    self_within_min = np.minimum(units.self_schedule_mw, p_min)

    lower, upper = _commitment_bounds(units, nt)
    commit_cost = (units.min_load_cost_usd_per_h - pen[:, None] * self_within_min) * hours
    commit = model.add_columns((n, nt), lower=lower, upper=upper, cost=commit_cost,
                               integer=integer)
    startup = model.add_columns((n, nt), upper=1.0, cost=units.startup_cost_usd[:, None])
    shutdown = model.add_columns((n, nt), upper=1.0)
    output = model.add_columns((n, nt))
    segment = model.add_columns(width.shape, upper=width, cost=price * hours[None, :, None])
    model.objective_offset += float((pen[:, None] * units.self_schedule_mw * hours).sum())
    block = UnitBlock(commit, startup, shutdown, output, segment)
    rows = block.rows

    rows["output_definition"] = r = model.add_rows((n, nt), lower=0.0, upper=0.0)
    model.add_terms(r, output, 1.0)
    model.add_terms(r, commit, -p_min)
    model.add_terms(r[:, :, None], segment, -1.0)

    ns_off = offline_non_spin_mw(units, with_reserves)
    rows["capacity"] = r = model.add_rows((n, nt), upper=ns_off)
    model.add_terms(r, output, 1.0)
    model.add_terms(r, commit, -(p_max - ns_off))

    # Without regulation down, p ≥ Pmin·u already follows from the segments.
    regulating = with_reserves and units.reserve_offer_mw[:, :, ReserveProduct.REG_DOWN] > 0
    rows["min_output"] = r = model.add_rows((n, nt), lower=0.0, mask=regulating)
    model.add_terms(r, output, 1.0)
    model.add_terms(r, commit, -p_min)

    su = np.minimum(units.startup_ramp_mw[:, None], p_max)
    sd = np.minimum(units.shutdown_ramp_mw[:, None], p_max)
    rows["startup_capability"] = r = model.add_rows((n, nt), upper=0.0, mask=su < p_max)
    model.add_terms(r, output, 1.0)
    model.add_terms(r, commit, -p_max)
    model.add_terms(r, startup, p_max - su)
    has_next = np.arange(nt)[None, :] < nt - 1
    rows["shutdown_capability"] = r = model.add_rows((n, nt), upper=0.0,
                                                     mask=(sd < p_max) & has_next)
    model.add_terms(r[:, :-1], output[:, :-1], 1.0)
    model.add_terms(r[:, :-1], commit[:, :-1], -p_max[:, :-1])
    model.add_terms(r[:, :-1], shutdown[:, 1:], (p_max - sd)[:, :-1])

    _add_logic(model, block, units)
    _add_ramps(model, block, units, minutes, su, sd)
    _add_min_up_down(model, block, units)
    return block


def _commitment_bounds(units: UnitOffers, nt: int) -> tuple[FloatArray, FloatArray]:
    """Bounds on ``u``: availability, must-run, and what the initial state still forces."""
    t = np.arange(nt)[None, :]
    time_in_state = units.initial_periods_in_state[:, None]
    on = units.initial_on[:, None]
    forced_on = on & (t < units.min_up_periods[:, None] - time_in_state) & units.available
    forced_off = ~on & (t < units.min_down_periods[:, None] - time_in_state) & ~units.must_run
    lower = (units.must_run | forced_on).astype(np.float64)
    upper = (units.available & ~forced_off).astype(np.float64)
    return lower, upper


def _add_logic(model: LinearModel, block: UnitBlock, units: UnitOffers) -> None:
    n, nt = block.commit.shape
    rhs = np.zeros((n, nt))
    rhs[:, 0] = units.initial_on
    block.rows["logic"] = r = model.add_rows((n, nt), lower=rhs, upper=rhs)
    model.add_terms(r, block.commit, 1.0)
    model.add_terms(r[:, 1:], block.commit[:, :-1], -1.0)
    model.add_terms(r, block.startup, -1.0)
    model.add_terms(r, block.shutdown, 1.0)


def _add_ramps(
    model: LinearModel,
    block: UnitBlock,
    units: UnitOffers,
    minutes: FloatArray,
    su: FloatArray,
    sd: FloatArray,
) -> None:
    n, nt = block.output.shape
    p_cap = units.p_max_mw.max(axis=1, keepdims=True)
    ramp_up = units.ramp_up_mw_per_min[:, None] * minutes[None, :]
    ramp_down = units.ramp_down_mw_per_min[:, None] * minutes[None, :]
    p0, on0 = units.initial_output_mw, units.initial_on.astype(np.float64)

    # p_t − p_{t−1} − RU·u_{t−1} − SU·v_t ≤ 0   (t = 0: p⁰ and u⁰ move to the right side)
    limiting = ramp_up < p_cap
    upper = np.zeros((n, nt))
    upper[:, 0] = p0 + np.where(limiting[:, 0], ramp_up[:, 0], 0.0) * on0
    block.rows["ramp_up"] = r = model.add_rows((n, nt), upper=upper, mask=limiting)
    ru = np.where(limiting, ramp_up, 0.0)
    model.add_terms(r, block.output, 1.0)
    model.add_terms(r[:, 1:], block.output[:, :-1], -1.0)
    model.add_terms(r[:, 1:], block.commit[:, :-1], -ru[:, 1:])
    model.add_terms(r, block.startup, -su)

    # p_{t−1} − p_t − RD·u_t − SD·w_t ≤ 0; a unit may always shut down from p⁰.
    limiting = ramp_down < p_cap
    upper = np.zeros((n, nt))
    upper[:, 0] = -p0
    block.rows["ramp_down"] = r = model.add_rows((n, nt), upper=upper, mask=limiting)
    rd = np.where(limiting, ramp_down, 0.0)
    sd_first = sd.copy()
    sd_first[:, 0] = np.maximum(sd[:, 0], p0)
    model.add_terms(r[:, 1:], block.output[:, :-1], 1.0)
    model.add_terms(r, block.output, -1.0)
    model.add_terms(r, block.commit, -rd)
    model.add_terms(r, block.shutdown, -sd_first)


def _add_min_up_down(model: LinearModel, block: UnitBlock, units: UnitOffers) -> None:
    n, nt = block.commit.shape
    unit = np.arange(n)[:, None, None]
    for name, duration, transition, sign, rhs in (
        ("min_up", units.min_up_periods, block.startup, -1.0, 0.0),
        ("min_down", units.min_down_periods, block.shutdown, 1.0, 1.0),
    ):
        span = int(min(duration.max(initial=1), nt))
        lag = np.arange(span)[None, None, :]
        t = np.arange(nt)[None, :, None]
        inside = (lag < duration[:, None, None]) & (t - lag >= 0)
        cols = np.where(inside, transition[unit, np.clip(t - lag, 0, None)], -1)
        # Built for every unit: with a one-period window the rows read v ≤ u and
        # w ≤ 1 − u, which pin v and w to the changes of an integral u (otherwise a
        # simultaneous fractional start and stop could relax the ramp rows).
        r = model.add_rows((n, nt), upper=rhs)
        block.rows[name] = r
        model.add_terms(r[:, :, None], cols, 1.0)
        model.add_terms(r, block.commit, sign)
