"""Real-time dispatch: ramping from the previous interval, look-ahead, model re-use."""

import numpy as np
import pytest

from gridmarket.clearing import (
    ClearingInput,
    DemandBids,
    Network,
    Periods,
    UnitOffers,
    clear_day_ahead,
)
from gridmarket.clearing.dispatch import DispatchModel


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
