"""Real-time dispatch: ramping from the previous interval, look-ahead, model re-use."""

import numpy as np
import pytest

from gridmarket.clearing import (
    ClearingInput,
    DemandBids,
    Network,
    Periods,
    ReserveProduct,
    ReserveRequirements,
    UnitOffers,
    clear_day_ahead,
)
from gridmarket.clearing.dispatch import DispatchModel
from gridmarket.clearing.synthetic import two_bus_system


def _window(n_intervals, demand, p0=100.0, ramp=2.0):
    """A cheap unit ramping ``ramp`` MW/min and a flexible dear one; 5-minute intervals."""
    units = UnitOffers.create(
        ["CHEAP", "DEAR"],
        ["A", "A"],
        n_intervals,
        p_max_mw=200.0,
        offer_mw=[[200.0], [200.0]],
        offer_price_usd_per_mwh=[[10.0], [50.0]],
        ramp_up_mw_per_min=[ramp, np.inf],
        initial_on=[True, True],
        initial_output_mw=[p0, 0.0],
    )
    return ClearingInput(
        network=Network.create(["A"]),
        periods=Periods.uniform(n_intervals, 5),
        units=units,
        demand=DemandBids.create(["L"], ["A"], n_intervals, fixed_mw=[demand]),
    )


def test_rtd_ramps_from_the_previous_interval_and_reuses_its_model():
    rtd = DispatchModel(_window(1, [100.0]), commitment=True)
    rows = rtd.n_rows
    output = 100.0
    cheap, prices = [], []
    for demand in (130.0, 160.0, 160.0):
        result = rtd.solve(fixed_demand_mw=[[demand]], initial_output_mw=[output, 0.0])
        assert result.consistency.ok, result.consistency.summary()
        output = result.schedules.output_mw[0, 0]
        cheap.append(output)
        prices.append(result.prices.lmp_usd_per_mwh[0, 0])
    # 2 MW/min × 5 min = 10 MW per interval.
    assert cheap == pytest.approx([110.0, 120.0, 130.0])
    assert prices == pytest.approx([50.0, 50.0, 50.0])
    assert rtd.n_rows == rows and rtd.solves == 3


def test_rtd_price_falls_to_the_cheap_unit_once_it_has_ramped():
    rtd = DispatchModel(_window(1, [100.0]), commitment=True)
    result = rtd.solve(fixed_demand_mw=[[105.0]], initial_output_mw=[100.0, 0.0])
    assert result.schedules.output_mw[:, 0] == pytest.approx([105.0, 0.0])
    assert result.prices.lmp_usd_per_mwh[0, 0] == pytest.approx(10.0)


def test_look_ahead_dispatches_a_window_with_the_first_interval_binding():
    rtd = DispatchModel(_window(3, [100.0, 120.0, 140.0]), commitment=True)
    result = rtd.solve()
    assert result.schedules.output_mw[0] == pytest.approx([100.0, 110.0, 120.0])
    # One more MW in the first interval lets the cheap unit ramp from one MW higher
    # in both later intervals, displacing the dear unit: 10 + 10 + 10 − 50 − 50.
    assert result.prices.lmp_usd_per_mwh[0] == pytest.approx([-70.0, 50.0, 50.0])
    # Next window: the forecast moves on and the first interval starts from 100.
    nxt = rtd.solve(fixed_demand_mw=[[120.0, 140.0, 140.0]], initial_output_mw=[100.0, 0.0])
    assert nxt.schedules.output_mw[0] == pytest.approx([110.0, 120.0, 130.0])


def test_renewable_forecast_updates_pmax_in_place():
    rtd = DispatchModel(_window(1, [100.0], ramp=np.inf), commitment=True)
    result = rtd.solve(p_max_mw=[[60.0], [200.0]])
    assert result.schedules.output_mw[:, 0] == pytest.approx([60.0, 40.0])
    result = rtd.solve(p_max_mw=[[150.0], [200.0]])
    assert result.schedules.output_mw[:, 0] == pytest.approx([100.0, 0.0])


def test_dispatch_from_the_day_ahead_commitment_keeps_offline_units_off():
    day = _window(2, [100.0, 100.0], ramp=np.inf)
    commitment = clear_day_ahead(day).schedules.commitment
    assert commitment[1].tolist() == [False, False] or commitment[1].any()
    rtd = DispatchModel(day, commitment=[[True, True], [False, False]])
    result = rtd.solve(fixed_demand_mw=[[250.0, 100.0]])
    # The dear unit is off: the 50 MW beyond the cheap unit's 200 is unserved.
    assert result.schedules.output_mw[1] == pytest.approx([0.0, 0.0])
    assert result.relaxations.shortage_mw[0] == pytest.approx(50.0)


def test_the_commitment_of_the_next_hour_changes_numbers_not_the_model():
    rtd = DispatchModel(_window(1, [150.0], ramp=np.inf), commitment=[[True], [False]])
    result = rtd.solve()
    assert result.relaxations.shortage_mw[0] == pytest.approx(0.0)
    assert result.schedules.output_mw[:, 0] == pytest.approx([150.0, 0.0])
    # The next hour commits the dear unit too and takes the cheap one off.
    result = rtd.solve(fixed_demand_mw=[[150.0]], commitment=[[False], [True]],
                       initial_output_mw=[150.0, 0.0])
    assert result.schedules.output_mw[:, 0] == pytest.approx([0.0, 150.0])
    assert result.prices.lmp_usd_per_mwh[0, 0] == pytest.approx(50.0)
    assert result.consistency.ok, result.consistency.summary()
    assert rtd.rebuilds == 0


def test_new_reserve_requirements_and_renewable_minimums_are_pushed_in_place():
    units = UnitOffers.create(
        ["CHEAP", "DEAR", "HYDRO"], ["A", "A", "A"], 1, p_max_mw=[[200.0], [200.0], [30.0]],
        p_min_mw=[[0.0], [0.0], [30.0]], offer_mw=[[200.0], [200.0], [0.0]],
        offer_price_usd_per_mwh=[[10.0], [50.0], [0.0]],
        reserve_offer_mw={ReserveProduct.SPIN: [100.0, 100.0, 0.0]},
        initial_on=True, initial_output_mw=[100.0, 0.0, 30.0], must_run=[False, False, True])
    inp = ClearingInput(network=Network.create(["A"]), periods=Periods.uniform(1, 5),
                        units=units, demand=DemandBids.create(["L"], ["A"], 1, fixed_mw=180.0),
                        reserves=ReserveRequirements.create(["SYS"], [()], 1, spin_mw=0.0))
    rtd = DispatchModel(inp, commitment=True)
    assert rtd.solve().schedules.output_mw[:, 0] == pytest.approx([150.0, 0.0, 30.0])
    # 100 MW of spin is now required, and the hydro unit's must-take output drops to 10 MW.
    result = rtd.solve(reserve_requirement_mw=np.array([0, 0, 100.0, 0]).reshape(4, 1, 1),
                       p_min_mw=[[0.0], [0.0], [10.0]], p_max_mw=[[200.0], [200.0], [10.0]])
    assert result.schedules.output_mw[2, 0] == pytest.approx(10.0)
    spin = result.schedules.reserve_award_mw[:, 0, ReserveProduct.SPIN]
    assert spin.sum() == pytest.approx(100.0)
    assert result.consistency.ok, result.consistency.summary()
    assert rtd.rebuilds == 0


def test_loss_factors_are_refreshed_from_a_new_base_case():
    inp = two_bus_system(limit_mw=1000.0, demand_mw=100.0, resistance_pu=0.02)
    rtd = DispatchModel(inp, commitment=True)
    first = rtd.solve()
    # Linearised around 50 MW from A to B: LF_A = 2·0.02·50/100 = 0.02.
    result = rtd.solve(base_case_injection_mw=[[50.0], [-50.0]])
    assert first.schedules.loss_factor[0, 0] != pytest.approx(0.02)
    assert result.schedules.loss_factor[0, 0] == pytest.approx(0.02)
    assert result.prices.mcl_usd_per_mwh[0, 0] == pytest.approx(
        -0.02 * result.prices.smec_usd_per_mwh[0])
    assert result.consistency.ok, result.consistency.summary()
