"""Unit commitment family: a tight three-binary formulation.

Per unit ``i`` and period ``t`` (``h`` = period hours, ``RU``/``RD`` ramp MW per
period, ``SU``/``SD`` start-up/shut-down ramp MW, ``u⁰``/``p⁰`` initial state):

* commitment ``u`` (binary), start-up ``v`` and shut-down ``w`` (continuous in
  [0, 1]; integral whenever ``u`` is):  ``u_t − u_{t−1} = v_t − w_t``
* output ``p = Pmin·u + Σ_k s_k`` with offer segments ``0 ≤ s_k ≤ width_k·u``
  (the per-segment bound on ``u`` makes the relaxation price a part-loaded
  unit at its real average cost)
* capacity ``p + ru + sp + ns ≤ (Pmax − NSoff)·u + NSoff`` (``NSoff``: a
  quick-start unit's offline non-spinning capacity) and ``p − rd ≥ Pmin·u``
* start-up / shut-down capability (Morales-España et al.), one row for units
  that stay on at least two periods
  ``p + ru + sp ≤ Pmax·u_t − (Pmax − SU)·v_t − (Pmax − SD)·w_{t+1}``,
  two rows (one per term) for the others
* ramping ``p_t − p_{t−1} ≤ RU·u_t + (SU − RU)·v_t − Pmin_{t−1}·w_t`` and
  ``p_{t−1} − p_t ≤ RD·u_{t−1} + (SD − RD)·w_t − Pmin_t·v_t``
* minimum up/down time (Rajan–Takriti) ``Σ_{τ=t−UT+1..t} v_τ ≤ u_t`` and
  ``Σ_{τ=t−DT+1..t} w_τ ≤ 1 − u_t`` (for ``UT = DT = 1`` these still say
  ``v ≤ u`` and ``w ≤ 1 − u``, which keep ``v`` and ``w`` integral); the initial
  state fixes ``u`` for the periods it still binds.

A unit whose commitment costs nothing and constrains nothing (Pmin 0, no
start-up or minimum-load cost, one-period minimum up/down times, no ramp limit:
wind and solar offered at cost) gets no binary: it is on whenever available.
Fixed commitments are constants of their rows (see
:mod:`~gridmarket.clearing.linear_model`). A unit standing for ``size`` identical
units (:mod:`~gridmarket.clearing.formulation.unit_groups`) has ``u`` in
``{0 … size}``: its per-unit numbers multiply the count.

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
from gridmarket.clearing.inputs._checks import BoolArray
from gridmarket.clearing.linear_model import FloatArray, IntArray, LinearModel

UNIT_ROW_FAMILIES = (
    "output_definition",
    "capacity",
    "min_output",
    "startup_capability",
    "shutdown_capability",
    "start_stop_capability",
    "ramp_up",
    "ramp_down",
    "logic",
    "min_up",
    "min_down",
)
# Rows whose shadow price can make a unit deviate from the merit order, and which
# of them also involve the output of the previous period (ramps).
LIMIT_FAMILIES = ("capacity", "min_output", "startup_capability", "shutdown_capability",
                  "start_stop_capability", "ramp_up", "ramp_down")
INTERTEMPORAL_FAMILIES = ("ramp_up", "ramp_down")
# Rows that cap output plus upward spinning reserve (upward awards enter them too).
CAPABILITY_FAMILIES = ("capacity", "startup_capability", "shutdown_capability",
                       "start_stop_capability")


@dataclass
class UnitBlock:
    """Indices of the unit family; ``rows`` maps a family name to ``(unit, period)`` rows."""

    commit: IntArray
    binary: IntArray
    """The commitment columns that are integer (-1 where ``u`` is fixed or free of cost)."""
    startup: IntArray
    shutdown: IntArray
    output: IntArray
    segment: IntArray
    segment_rows: IntArray
    """``(unit, period, segment)`` rows ``s_k ≤ width_k·u`` (binary units only)."""
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


def ramp_mw(units: UnitOffers, periods: Periods) -> tuple[FloatArray, FloatArray]:
    """Ramp-up and ramp-down MW within each period ``(unit, period)``."""
    minutes = periods.duration_minutes[None, :]
    return (units.ramp_up_mw_per_min[:, None] * minutes,
            units.ramp_down_mw_per_min[:, None] * minutes)


def commitment_free(units: UnitOffers, periods: Periods) -> BoolArray:
    """Units whose on/off state neither costs nor constrains anything ``(unit,)``.

    Such a unit (Pmin 0, no start-up or minimum-load cost, one-period minimum
    up and down times, ramping its whole range within a period) loses nothing by
    being on whenever it is available, so its commitment needs no binary.

    Example::

        >>> wind = UnitOffers.create(["W"], ["A"], 2, p_max_mw=50.0, offer_mw=[[50.0]],
        ...                          offer_price_usd_per_mwh=0.0)
        >>> commitment_free(wind, Periods.uniform(2, 60)).tolist()
        [True]
    """
    ramp_up, ramp_down = ramp_mw(units, periods)
    p_cap = units.p_max_mw.max(axis=1, keepdims=True)
    return np.asarray(
        (units.p_min_mw == 0).all(axis=1)
        & (units.startup_cost_usd == 0)
        & (units.min_load_cost_usd_per_h == 0).all(axis=1)
        & (units.min_up_periods == 1) & (units.min_down_periods == 1)
        & (ramp_up >= p_cap).all(axis=1) & (ramp_down >= p_cap).all(axis=1)
    )


def add_units(
    model: LinearModel,
    units: UnitOffers,
    periods: Periods,
    penalties: Penalties,
    *,
    with_reserves: bool,
    integer: bool = True,
    stable: bool = False,
    size: IntArray | None = None,
) -> UnitBlock:
    """Add commitment, output and segment variables with their constraints and costs.

    ``size`` ``(unit,)`` counts identical units merged into each one (see
    :mod:`~gridmarket.clearing.formulation.unit_groups`): ``u`` is then how many
    of them are on, and per-unit numbers multiply it.

    With ``stable``, which rows exist does not depend on numbers that may change
    between dispatch intervals (Pmax, offers): a row that cannot bind is built
    anyway, so new numbers always fit the same model.
    """
    n, nt = units.n_units, periods.count
    hours = periods.hours
    p_min, p_max = units.p_min_mw, units.p_max_mw
    pen = curtailment_price(units, penalties)
    width, price = effective_segments(units, penalties)
    self_within_min = np.minimum(units.self_schedule_mw, p_min)

    copies = np.ones(n) if size is None else np.asarray(size, dtype=np.float64)
    lower, upper = commitment_bounds(units, periods)
    lower, upper = lower * copies[:, None], upper * copies[:, None]
    is_binary = integer & (lower < upper)
    commit_cost = (units.min_load_cost_usd_per_h - pen[:, None] * self_within_min) * hours
    commit = model.add_columns((n, nt), lower=lower, upper=upper, cost=commit_cost,
                               integer=is_binary, constant=True)
    binary = np.where(lower < upper, commit, -1)
    start_bounds, stop_bounds = transition_bounds(units, lower, upper, copies)
    startup = model.add_columns((n, nt), lower=start_bounds[0], upper=start_bounds[1],
                                cost=units.startup_cost_usd[:, None], constant=True)
    shutdown = model.add_columns((n, nt), lower=stop_bounds[0], upper=stop_bounds[1],
                                 constant=True)
    output = model.add_columns((n, nt))
    segment = model.add_columns(width.shape, upper=width * copies[:, None, None],
                                cost=price * hours[None, :, None])
    model.objective_offset += float((copies[:, None] * pen[:, None] * units.self_schedule_mw
                                     * hours).sum())

    # s_k ≤ width_k·u: redundant once u is integral, but it stops the relaxation
    # from running a part-committed unit on its cheapest segment alone.
    segment_rows = model.add_rows(width.shape, upper=0.0,
                                  mask=(binary >= 0)[:, :, None] & (width > 0))
    model.add_terms(segment_rows, segment, 1.0)
    model.add_terms(segment_rows, commit[:, :, None], -width)
    block = UnitBlock(commit, binary, startup, shutdown, output, segment, segment_rows)
    rows = block.rows

    rows["output_definition"] = r = model.add_rows((n, nt), lower=0.0, upper=0.0)
    model.add_terms(r, output, 1.0)
    model.add_terms(r, commit, -p_min)
    model.add_terms(r[:, :, None], segment, -1.0)

    ns_off = offline_non_spin_mw(units, with_reserves)
    rows["capacity"] = r = model.add_rows((n, nt), upper=ns_off * copies[:, None])
    model.add_terms(r, output, 1.0)
    model.add_terms(r, commit, -(p_max - ns_off))

    # Without regulation down, p ≥ Pmin·u already follows from the segments.
    regulating = with_reserves and (
        stable or units.reserve_offer_mw[:, :, ReserveProduct.REG_DOWN] > 0)
    rows["min_output"] = r = model.add_rows((n, nt), lower=0.0, mask=regulating)
    model.add_terms(r, output, 1.0)
    model.add_terms(r, commit, -p_min)

    _add_capability(model, block, units, stable)
    _add_logic(model, block, units, copies)
    _add_ramps(model, block, units, periods, stable)
    _add_min_up_down(model, block, units, copies)
    return block


def commitment_bounds(units: UnitOffers, periods: Periods) -> tuple[FloatArray, FloatArray]:
    """Bounds on ``u``: availability, must-run, the initial state, and free units fixed on."""
    t = np.arange(periods.count)[None, :]
    time_in_state = units.initial_periods_in_state[:, None]
    on = units.initial_on[:, None]
    forced_on = on & (t < units.min_up_periods[:, None] - time_in_state) & units.available
    forced_off = ~on & (t < units.min_down_periods[:, None] - time_in_state) & ~units.must_run
    upper = units.available & ~forced_off
    lower = units.must_run | forced_on | (upper & commitment_free(units, periods)[:, None])
    return lower.astype(np.float64), upper.astype(np.float64)


def transition_bounds(units: UnitOffers, lower: FloatArray, upper: FloatArray,
                      copies: FloatArray,
                      ) -> tuple[tuple[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]:
    """Bounds of ``v`` and ``w``: fixed where ``u`` is fixed now and before, else [0, copies].

    Fixed, they are constants of the rows they enter (a dispatch run's start-ups
    follow from its given commitment).
    """
    fixed = lower == upper
    before = np.concatenate([(units.initial_on * copies)[:, None], lower[:, :-1]], axis=1)
    known = fixed & np.concatenate([np.ones((fixed.shape[0], 1), dtype=bool), fixed[:, :-1]],
                                   axis=1)
    start = np.where(known, np.clip(lower - before, 0.0, None), 0.0)
    stop = np.where(known, np.clip(before - lower, 0.0, None), 0.0)
    most = copies[:, None]
    return (start, np.where(known, start, most)), (stop, np.where(known, stop, most))


def start_stop_mw(units: UnitOffers) -> tuple[FloatArray, FloatArray]:
    """The most a unit can produce when it starts (``SU``) or before it stops (``SD``)."""
    p_max = units.p_max_mw
    return (np.minimum(units.startup_ramp_mw[:, None], p_max),
            np.minimum(units.shutdown_ramp_mw[:, None], p_max))


def _add_capability(model: LinearModel, block: UnitBlock, units: UnitOffers,
                    stable: bool) -> None:
    """Start-up and shut-down capability rows (one combined row when ``UT ≥ 2``)."""
    n, nt = block.commit.shape
    p_max = units.p_max_mw
    su, sd = start_stop_mw(units)
    has_next = np.arange(nt)[None, :] < nt - 1
    if stable:
        starts_limited = np.isfinite(units.startup_ramp_mw)[:, None] & np.ones((n, nt), bool)
        stops_limited = np.isfinite(units.shutdown_ramp_mw)[:, None] & has_next
    else:
        starts_limited, stops_limited = su < p_max, (sd < p_max) & has_next
    # Starting at t and stopping at t+1 needs a one-period minimum up time, so a
    # longer one lets both limits share a row (tighter than two).
    combined = (units.min_up_periods >= 2)[:, None]
    rows = block.rows
    rows["start_stop_capability"] = r = model.add_rows(
        (n, nt), upper=0.0, mask=combined & (starts_limited | stops_limited))
    model.add_terms(r, block.output, 1.0)
    model.add_terms(r, block.commit, -p_max)
    model.add_terms(r, block.startup, p_max - su)
    model.add_terms(r[:, :-1], block.shutdown[:, 1:], (p_max - sd)[:, :-1])

    rows["startup_capability"] = r = model.add_rows((n, nt), upper=0.0,
                                                    mask=~combined & starts_limited)
    model.add_terms(r, block.output, 1.0)
    model.add_terms(r, block.commit, -p_max)
    model.add_terms(r, block.startup, p_max - su)
    rows["shutdown_capability"] = r = model.add_rows((n, nt), upper=0.0,
                                                     mask=~combined & stops_limited)
    model.add_terms(r[:, :-1], block.output[:, :-1], 1.0)
    model.add_terms(r[:, :-1], block.commit[:, :-1], -p_max[:, :-1])
    model.add_terms(r[:, :-1], block.shutdown[:, 1:], (p_max - sd)[:, :-1])


def _add_logic(model: LinearModel, block: UnitBlock, units: UnitOffers,
               copies: FloatArray) -> None:
    n, nt = block.commit.shape
    rhs = np.zeros((n, nt))
    rhs[:, 0] = units.initial_on * copies
    block.rows["logic"] = r = model.add_rows((n, nt), lower=rhs, upper=rhs)
    model.add_terms(r, block.commit, 1.0)
    model.add_terms(r[:, 1:], block.commit[:, :-1], -1.0)
    model.add_terms(r, block.startup, -1.0)
    model.add_terms(r, block.shutdown, 1.0)


def first_ramp_limits(units: UnitOffers, periods: Periods) -> tuple[FloatArray, FloatArray]:
    """Right-hand sides of the first period's ramp rows, from the initial state ``(unit,)``.

    ``p_0 − RU·u_0 − (SU − RU)·v_0 ≤ p⁰`` and
    ``−p_0 − (SD − RD)·w_0 + Pmin·v_0 ≤ RD·u⁰ − p⁰``.
    """
    _, ramp_down = ramp_mw(units, periods)
    p0 = units.initial_output_mw
    down = np.where(np.isfinite(ramp_down[:, 0]), ramp_down[:, 0], 0.0) * units.initial_on
    return p0.copy(), down - p0


def _add_ramps(model: LinearModel, block: UnitBlock, units: UnitOffers,
               periods: Periods, stable: bool) -> None:
    """Ramp rows; starting or stopping is bounded by ``SU``/``SD`` instead of the ramp rate.

    The ``Pmin`` terms are what makes them tight: a unit that stops at ``t``
    was at least at ``Pmin_{t−1}`` before, one that starts is at least at ``Pmin_t``.
    """
    n, nt = block.output.shape
    p_cap = units.p_max_mw.max(axis=1, keepdims=True)
    ramp_up, ramp_down = ramp_mw(units, periods)
    su, sd = start_stop_mw(units)
    p_min = units.p_min_mw
    first_up, first_down = first_ramp_limits(units, periods)

    limiting = np.isfinite(ramp_up) if stable else ramp_up < p_cap
    upper = np.zeros((n, nt))
    upper[:, 0] = first_up
    block.rows["ramp_up"] = r = model.add_rows((n, nt), upper=upper, mask=limiting)
    ru = np.where(limiting, ramp_up, 0.0)
    model.add_terms(r, block.output, 1.0)
    model.add_terms(r[:, 1:], block.output[:, :-1], -1.0)
    model.add_terms(r, block.commit, -ru)
    model.add_terms(r, block.startup, ru - su)
    model.add_terms(r[:, 1:], block.shutdown[:, 1:], p_min[:, :-1])

    # A unit may always shut down from p⁰ in the first period.
    limiting = np.isfinite(ramp_down) if stable else ramp_down < p_cap
    upper = np.zeros((n, nt))
    upper[:, 0] = first_down
    block.rows["ramp_down"] = r = model.add_rows((n, nt), upper=upper, mask=limiting)
    rd = np.where(limiting, ramp_down, 0.0)
    sd_before = np.concatenate(
        [np.maximum(sd[:, :1], units.initial_output_mw[:, None]), sd[:, :-1]], axis=1)
    model.add_terms(r[:, 1:], block.output[:, :-1], 1.0)
    model.add_terms(r, block.output, -1.0)
    model.add_terms(r[:, 1:], block.commit[:, :-1], -rd[:, 1:])
    model.add_terms(r, block.shutdown, rd - sd_before)
    model.add_terms(r, block.startup, p_min)


def _add_min_up_down(model: LinearModel, block: UnitBlock, units: UnitOffers,
                     copies: FloatArray) -> None:
    n, nt = block.commit.shape
    unit = np.arange(n)[:, None, None]
    for name, duration, transition, sign, rhs in (
        ("min_up", units.min_up_periods, block.startup, -1.0, 0.0),
        ("min_down", units.min_down_periods, block.shutdown, 1.0, copies[:, None]),
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
