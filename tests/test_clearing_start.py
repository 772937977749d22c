"""The commitment MIP's start (a smaller MIP around the relaxation) and its progress record."""

import math

import numpy as np
import pytest

import gridmarket.clearing.commitment_start as commitment_start
from gridmarket.clearing import (
    ClearingInput,
    DemandBids,
    Network,
    Periods,
    SolverSettings,
    UnitOffers,
    clear_day_ahead,
)
from gridmarket.clearing.mip_progress import MipProgress, MipProgressPoint


def _fleet(n_units=24, n_periods=12, gap=1e-4):
    """Long-cycle units (minimum up time 4 h) and peakers, a daily demand curve."""
    rng = np.random.default_rng(7)
    slow = np.arange(n_units) < n_units // 2
    p_max = np.where(slow, 150.0, 50.0)
    p_min = np.where(slow, 60.0, 15.0)
    price = np.where(slow, 20.0, 45.0) + rng.uniform(0.0, 8.0, n_units)
    units = UnitOffers.create(
        [f"G{i}" for i in range(n_units)], ["A"] * n_units, n_periods,
        p_max_mw=p_max, p_min_mw=p_min,
        offer_mw=np.stack([(p_max - p_min) / 2] * 2, axis=1),
        offer_price_usd_per_mwh=np.stack([price, price + 5.0], axis=1),
        min_load_cost_usd_per_h=p_min * price * 1.2,
        startup_cost_usd=np.where(slow, 3000.0, 300.0),
        min_up_periods=np.where(slow, 4, 1), min_down_periods=np.where(slow, 4, 1),
        initial_on=slow & (np.arange(n_units) < 4), initial_output_mw=np.where(
            slow & (np.arange(n_units) < 4), p_min, 0.0))
    hours = np.arange(n_periods)
    demand = 900.0 + 700.0 * np.sin(np.pi * hours / (n_periods - 1))
    return ClearingInput(network=Network.create(["A"]), periods=Periods.uniform(n_periods, 60),
                         units=units,
                         demand=DemandBids.create(["L"], ["A"], n_periods, fixed_mw=[demand]),
                         settings=SolverSettings.from_rules(mip_gap=gap))


def test_the_mip_starts_from_a_feasible_commitment_and_reaches_the_same_optimum(monkeypatch):
    inp = _fleet()
    with_start = clear_day_ahead(inp)
    stats = with_start.statistics
    assert with_start.consistency.ok, with_start.consistency.summary()
    assert stats.n_integer >= commitment_start.MIN_BINARIES
    assert stats.start_objective_usd is not None
    assert stats.start_objective_usd >= stats.objective_usd - 1e-6
    monkeypatch.setattr(commitment_start, "MIN_BINARIES", 10**9)
    without = clear_day_ahead(inp)
    assert without.statistics.start_objective_usd is None
    assert with_start.statistics.objective_usd == pytest.approx(
        without.statistics.objective_usd, rel=2e-4)


def test_the_gap_is_recorded_over_time_from_the_start_of_the_run():
    stats = clear_day_ahead(_fleet(gap=1e-3)).statistics
    assert stats.mip_progress
    to_1pct, to_gap = stats.seconds_to_gap(0.01), stats.seconds_to_gap(1e-3)
    assert to_1pct is not None and to_gap is not None
    assert 0 < to_1pct <= to_gap <= stats.total_seconds
    bounds = [(p.primal_bound, p.dual_bound) for p in stats.mip_progress]
    primal, dual = zip(*bounds, strict=True)
    assert list(primal) == sorted(primal, reverse=True)  # best so far: never worse
    assert list(dual) == sorted(dual)


def test_progress_forgets_solutions_a_new_branch_limit_may_cut_off():
    progress = MipProgress(clock_start=0.0)
    progress.note_feasible(110.0, 90.0)
    progress.record(100.0, 95.0)  # a round's solution, before a branch limit was added
    progress.restart()
    assert [p.primal_bound for p in progress.points] == [110.0]
    progress.record(math.inf, 96.0)
    assert progress.points[-1].primal_bound == 110.0  # the known-feasible one stays
    assert progress.points[-1].dual_bound == 96.0
    assert MipProgressPoint(1.0, math.inf, 0.0).gap == math.inf
