"""Unit commitment: minimum up/down times, start-up cost, ramps, initial state, DST days."""

import numpy as np
import pytest

from gridmarket.clearing import (
    ClearingFailed,
    ClearingInput,
    DemandBids,
    Network,
    Periods,
    UnitOffers,
    clear_day_ahead,
)


def _two_units(demand, *, min_up=1, min_down=1, startup_cost=0.0, min_load_cost=400.0,
               base_ramp=np.inf):
    """A cheap 100 MW base unit (on, at 50 MW) and a 100 MW peaker (off).

    The peaker's minimum-load cost, $400/h, prices its 20 MW Pmin at $20/MWh like
    the rest of its output.
    """
    n = len(demand)
    units = UnitOffers.create(
        ["BASE", "PEAKER"], ["A", "A"], n, p_max_mw=100.0, p_min_mw=[0.0, 20.0],
        offer_mw=[[100.0], [80.0]], offer_price_usd_per_mwh=[[10.0], [20.0]],
        initial_on=[True, False], initial_output_mw=[50.0, 0.0],
        min_up_periods=[1, min_up], min_down_periods=[1, min_down],
        startup_cost_usd=[0.0, startup_cost], min_load_cost_usd_per_h=[0.0, min_load_cost],
        ramp_up_mw_per_min=[base_ramp, np.inf])
    return ClearingInput(network=Network.create(["A"]), periods=Periods.uniform(n, 60),
                         units=units,
                         demand=DemandBids.create(["L"], ["A"], n, fixed_mw=[demand]))


def _peaker_on(inp):
    result = clear_day_ahead(inp)
    assert result.consistency.ok, result.consistency.summary()
    return result.schedules.commitment[1].astype(int).tolist(), result


def test_without_min_up_the_peaker_runs_only_in_peak_hours():
    on, _ = _peaker_on(_two_units([50, 150, 50, 50, 150, 50]))
    assert on == [0, 1, 0, 0, 1, 0]


def test_min_up_time_keeps_a_started_unit_on():
    on, result = _peaker_on(_two_units([50, 150, 50, 50, 150, 50], min_up=3))
    assert on == [0, 1, 1, 1, 1, 0]
    # Held on for the minimum up time, it runs at Pmin while the base unit is cheaper.
    assert result.schedules.output_mw[1, 2:4] == pytest.approx([20.0, 20.0])


def test_min_down_time_keeps_a_stopped_unit_off_or_on_through_the_gap():
    on, _ = _peaker_on(_two_units([50, 150, 50, 150, 50, 50]))
    assert on == [0, 1, 0, 1, 0, 0]
    on, _ = _peaker_on(_two_units([50, 150, 50, 150, 50, 50], min_down=3))
    assert on == [0, 1, 1, 1, 0, 0]


def test_startup_cost_keeps_a_unit_on_through_a_short_dip():
    # Staying on through the dip costs $400/h at Pmin instead of 20 MW × $10 from the
    # base unit, i.e. $200; a second start
    # costs more or less than that.
    on, result = _peaker_on(_two_units([50, 150, 50, 150, 50, 50], startup_cost=1000.0))
    assert on == [0, 1, 1, 1, 0, 0]
    assert result.schedules.startup[1].sum() == 1
    on, result = _peaker_on(_two_units([50, 150, 50, 150, 50, 50], startup_cost=100.0))
    assert on == [0, 1, 0, 1, 0, 0]
    assert result.schedules.startup[1].sum() == 2


def test_objective_counts_startup_and_min_load_costs():
    inp = _two_units([50, 150], startup_cost=500.0)
    result = clear_day_ahead(inp)
    # Hour 0: base 50 MW·$10. Hour 1: base 100·$10 + peaker 20 MW at Pmin (its
    # minimum-load cost, $400) + 30 MW·$20 + a $500 start-up.
    assert result.statistics.objective_usd == pytest.approx(500 + 1000 + 400 + 600 + 500)


def test_initial_state_forces_remaining_min_up_time():
    inp = _two_units([10, 10, 10])
    units = UnitOffers.create(
        ["BASE", "PEAKER"], ["A", "A"], 3, p_max_mw=100.0, p_min_mw=[0.0, 20.0],
        offer_mw=[[100.0], [80.0]], offer_price_usd_per_mwh=[[10.0], [20.0]],
        min_up_periods=[1, 3], initial_on=[True, True], initial_periods_in_state=[5, 1],
        initial_output_mw=[0.0, 20.0])
    inp = ClearingInput(network=inp.network, periods=inp.periods, units=units,
                        demand=inp.demand)
    on, _ = _peaker_on(inp)
    assert on == [1, 1, 0]  # on for 1 hour already, 2 more to go


def test_ramp_limit_holds_back_the_cheap_unit_and_is_named_as_the_reason():
    result = clear_day_ahead(_two_units([50, 150], base_ramp=0.5))
    # 0.5 MW/min × 60 = 30 MW per hour: 50 → 80, the peaker covers 70.
    assert result.schedules.output_mw[:, 1] == pytest.approx([80.0, 70.0])
    assert result.prices.lmp_usd_per_mwh[0, 1] == pytest.approx(20.0)
    assert result.consistency.ok
    reasons = {f.explained_by for f in result.consistency.explained if f.element == "BASE"}
    assert ("ramp_up",) in reasons


def test_startup_ramp_limits_output_in_the_first_hour():
    inp = _two_units([50, 150])
    units = UnitOffers.create(
        ["BASE", "PEAKER"], ["A", "A"], 2, p_max_mw=[[60.0], [100.0]], p_min_mw=[0.0, 20.0],
        offer_mw=[[60.0], [80.0]], offer_price_usd_per_mwh=[[10.0], [20.0]],
        initial_on=[True, False], initial_output_mw=[50.0, 0.0],
        startup_ramp_mw=[60.0, 40.0])
    demand = DemandBids.create(["L"], ["A"], 2, fixed_mw=[[50.0, 100.0]])
    result = clear_day_ahead(ClearingInput(network=inp.network, periods=inp.periods,
                                           units=units, demand=demand))
    # The peaker can reach only 40 MW in its start-up hour: 60 + 40 = 100.
    assert result.schedules.output_mw[:, 1] == pytest.approx([60.0, 40.0])


@pytest.mark.parametrize("hours", [23, 25])
def test_daylight_saving_days_clear_with_23_and_25_hourly_periods(hours):
    demand = 100 + 50 * np.sin(np.linspace(0, 2 * np.pi, hours))
    inp = _two_units(demand.tolist(), min_up=4, startup_cost=300.0)
    result = clear_day_ahead(inp)
    assert result.schedules.output_mw.shape == (2, hours)
    assert result.prices.lmp_usd_per_mwh.shape == (1, hours)
    np.testing.assert_allclose(result.schedules.output_mw.sum(axis=0), demand, atol=1e-6)
    assert result.consistency.ok, result.consistency.summary()


def test_unserved_demand_is_priced_at_the_power_balance_penalty_and_reported():
    inp = _two_units([250])
    result = clear_day_ahead(inp)
    assert result.relaxations.shortage_mw[0] == pytest.approx(50.0)
    assert result.relaxations.any
    assert result.prices.lmp_usd_per_mwh[0, 0] == pytest.approx(
        inp.penalties.power_balance_usd_per_mwh)


def test_an_infeasible_run_raises_and_publishes_nothing():
    # A must-run unit at 100 MW that can ramp down only 6 MW an hour cannot fit under
    # a Pmax of 50 MW in the next hour: no slack can help.
    units = UnitOffers.create(
        ["G"], ["A"], 2, p_max_mw=[[100.0, 50.0]], offer_mw=[[100.0]],
        offer_price_usd_per_mwh=[[10.0]], initial_on=[True], initial_output_mw=[100.0],
        must_run=True, ramp_up_mw_per_min=0.1)
    inp = ClearingInput(network=Network.create(["A"]), periods=Periods.uniform(2, 60),
                        units=units, demand=DemandBids.create(["L"], ["A"], 2, fixed_mw=10.0))
    with pytest.raises(ClearingFailed, match=r"[Ii]nfeasible"):
        clear_day_ahead(inp)
