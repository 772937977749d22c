"""Formulation choices that make the MIP smaller and tighter, without changing its optimum."""

import numpy as np
import pytest

import gridmarket.clearing.ifm as ifm
from gridmarket.clearing import (
    ClearingInput,
    DemandBids,
    Network,
    Periods,
    SolverSettings,
    UnitOffers,
    clear_day_ahead,
    select_periods,
)
from gridmarket.clearing.formulation.unit_groups import (
    UnitGroups,
    identical_units,
    split_commitment,
)
from gridmarket.clearing.formulation.units import commitment_free
from gridmarket.clearing.linear_model import LinearModel
from gridmarket.clearing.solve import prepare_run
from gridmarket.clearing.synthetic import two_bus_system


def _wind_and_peaker(n_periods=4):
    units = UnitOffers.create(
        ["WIND", "PEAKER", "SLOW"], ["A", "A", "A"], n_periods,
        p_max_mw=[[80.0] * n_periods, [100.0] * n_periods, [100.0] * n_periods],
        p_min_mw=[0.0, 20.0, 0.0],
        offer_mw=[[80.0], [80.0], [100.0]], offer_price_usd_per_mwh=[[0.0], [30.0], [20.0]],
        min_load_cost_usd_per_h=[0.0, 400.0, 0.0],
        ramp_up_mw_per_min=[np.inf, np.inf, 0.5],  # SLOW ramps 30 MW an hour
        initial_on=[True, False, True], initial_output_mw=[0.0, 0.0, 50.0])
    return ClearingInput(network=Network.create(["A"]), periods=Periods.uniform(n_periods, 60),
                         units=units, demand=DemandBids.create(
                             ["L"], ["A"], n_periods, fixed_mw=[[100.0, 150.0, 120.0, 60.0]]))


def test_units_whose_commitment_costs_and_constrains_nothing_get_no_binary():
    inp = _wind_and_peaker()
    # The wind farm: no Pmin, no costs, no ramp limit. The slow unit has a ramp limit
    # that stopping and restarting could bypass, the peaker a minimum-load cost.
    assert commitment_free(inp.units, inp.periods).tolist() == [True, False, False]
    result = clear_day_ahead(inp)
    assert result.consistency.ok, result.consistency.summary()
    assert result.statistics.n_integer == 2 * 4
    assert result.schedules.commitment[0].all()  # on whenever available


def test_a_commitment_free_unit_clears_as_if_it_had_a_binary():
    inp = _wind_and_peaker()
    free = clear_day_ahead(inp)
    # The same unit with a tiny start-up cost needs a binary; the optimum barely moves.
    units = inp.units
    costly = ClearingInput(network=inp.network, periods=inp.periods, demand=inp.demand,
                           units=UnitOffers.create(
                               units.unit_ids.tolist(), units.bus_ids.tolist(), 4,
                               p_max_mw=units.p_max_mw, p_min_mw=units.p_min_mw,
                               offer_mw=units.offer_mw,
                               offer_price_usd_per_mwh=units.offer_price_usd_per_mwh,
                               min_load_cost_usd_per_h=units.min_load_cost_usd_per_h,
                               ramp_up_mw_per_min=units.ramp_up_mw_per_min,
                               startup_cost_usd=[1e-6, 0.0, 0.0], initial_on=units.initial_on,
                               initial_output_mw=units.initial_output_mw))
    with_binary = clear_day_ahead(costly)
    assert with_binary.statistics.n_integer == 3 * 4
    assert free.statistics.objective_usd == pytest.approx(with_binary.statistics.objective_usd,
                                                          abs=1e-3)
    np.testing.assert_allclose(free.prices.lmp_usd_per_mwh, with_binary.prices.lmp_usd_per_mwh,
                               atol=1e-6)


def test_fixed_columns_become_constants_of_their_rows():
    model = LinearModel()
    x = model.add_columns((2,), lower=[0.0, 3.0], upper=[10.0, 3.0], constant=True)
    row = model.add_rows((1,), lower=5.0, upper=8.0)
    model.add_terms(row[:, None], x[None, :], [[1.0, 2.0]])
    lower, upper = model.rows()
    # x1 is fixed at 3: 2·3 moves to the bounds, only x0 stays in the matrix.
    assert (lower.tolist(), upper.tolist()) == ([-1.0], [2.0])
    assert model.matrix().toarray().tolist() == [[1.0, 0.0]]


def test_the_relaxation_prices_a_part_loaded_unit_at_its_average_cost():
    # One 100 MW unit, Pmin 50 at $1000/h, then 25 MW at $10 and 25 MW at $50; 25 MW of
    # demand. Run at a fraction λ of its size, the unit makes 25/λ MW at a cost of
    # λ·(1000 + 10·(25/λ − 50)) = 500·λ + 250, least at λ = 1/3 (25/λ = 75 MW, the end
    # of the cheap segment): $416.67. Without the rows s_k ≤ width_k·u the relaxation
    # would run a quarter of the unit on the cheap segment alone, for $375.
    units = UnitOffers.create(["G"], ["A"], 1, p_max_mw=100.0, p_min_mw=50.0,
                              offer_mw=[[25.0, 25.0]], offer_price_usd_per_mwh=[[10.0, 50.0]],
                              min_load_cost_usd_per_h=1000.0)
    inp = ClearingInput(network=Network.create(["A"]), periods=Periods.uniform(1, 60),
                        units=units, demand=DemandBids.create(["L"], ["A"], 1, fixed_mw=25.0))
    relaxed = prepare_run(inp).screening.outcome.objective
    assert relaxed == pytest.approx(1250.0 / 3.0)


def test_select_periods_cuts_a_window_out_of_a_day():
    inp = two_bus_system(n_periods=6)
    window = select_periods(inp, 2, 5)
    assert window.periods.count == 3
    assert window.units.p_max_mw.shape == (2, 3)
    assert window.demand.fixed_mw.shape == (1, 3)
    assert clear_day_ahead(window).consistency.ok


def _three_identical_peakers(n_periods=8):
    """A base unit and three identical peakers (minimum up and down 3 h) at one bus."""
    ids = ["BASE", "CT1", "CT2", "CT3"]
    units = UnitOffers.create(
        ids, ["A"] * 4, n_periods, p_max_mw=[200.0, 50.0, 50.0, 50.0],
        p_min_mw=[0.0, 20.0, 20.0, 20.0], offer_mw=[[200.0], [30.0], [30.0], [30.0]],
        offer_price_usd_per_mwh=[[10.0], [40.0], [40.0], [40.0]],
        min_load_cost_usd_per_h=[0.0, 600.0, 600.0, 600.0],
        startup_cost_usd=[0.0, 500.0, 500.0, 500.0],
        min_up_periods=[1, 3, 3, 3], min_down_periods=[1, 3, 3, 3],
        initial_on=[True, True, False, False], initial_output_mw=[150.0, 20.0, 0.0, 0.0],
        initial_periods_in_state=[5, 1, 5, 5])
    demand = [210.0, 260.0, 320.0, 250.0, 200.0, 300.0, 330.0, 210.0][:n_periods]
    return ClearingInput(network=Network.create(["A"]), periods=Periods.uniform(n_periods, 60),
                         units=units,
                         demand=DemandBids.create(["L"], ["A"], n_periods, fixed_mw=[demand]),
                         settings=SolverSettings.from_rules(mip_gap=0.0))


def test_identical_units_are_committed_as_a_count_and_priced_unit_by_unit(monkeypatch):
    inp = _three_identical_peakers()
    merged = clear_day_ahead(inp)
    assert merged.consistency.ok, merged.consistency.summary()
    # CT1 is on with 2 more hours to go, so it differs from CT2/CT3: two groups of peakers.
    merged_integers = merged.statistics.n_integer
    monkeypatch.setattr(ifm, "identical_units",
                        lambda units, periods: UnitGroups(np.arange(units.n_units),
                                                          np.arange(units.n_units),
                                                          np.ones(units.n_units, dtype=int)))
    apart = clear_day_ahead(inp)
    assert apart.statistics.n_integer == 3 * 8 - 2 > merged_integers  # CT1 must stay on 2 h
    assert merged.statistics.objective_usd == pytest.approx(apart.statistics.objective_usd)
    np.testing.assert_allclose(merged.prices.lmp_usd_per_mwh, apart.prices.lmp_usd_per_mwh,
                               atol=1e-6)


def test_a_count_splits_into_unit_schedules_that_keep_minimum_up_and_down_times():
    units = UnitOffers.create(
        ["A", "B", "C"], ["X"] * 3, 10, p_max_mw=50.0, p_min_mw=10.0, offer_mw=[[40.0]] * 3,
        offer_price_usd_per_mwh=30.0, min_up_periods=3, min_down_periods=3,
        initial_on=[True, False, False], initial_output_mw=[10.0, 0.0, 0.0],
        initial_periods_in_state=[4, 4, 4])
    groups = identical_units(units, Periods.uniform(10, 60))
    assert groups.size.tolist() == [1, 2]  # A's initial state differs
    # Group of B and C: 1 on for 3 hours, both for 3, then none for 3, then one.
    count = np.array([[1] * 10, [1, 1, 1, 2, 2, 2, 0, 0, 0, 1]])
    on = split_commitment(units, groups, count)
    assert on[1:].sum(axis=0).tolist() == count[1].tolist()
    for unit in on:
        runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[2], unit.astype(int), [2]]))))
        assert (runs[1:-1] >= 3).all()  # every inner on or off spell lasts 3 hours
