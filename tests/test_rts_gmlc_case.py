"""The RTS-GMLC market cases: day-ahead IFM input, real-time dispatch, against the data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from gridmarket.clearing import ReserveProduct, clear_day_ahead, select_periods
from gridmarket.config import MarketParameters, get_settings
from gridmarket.markets.rts_gmlc_case import CaseOptions, day_ahead_case, trade_day_utc
from gridmarket.markets.rts_gmlc_realtime import dispatch_real_time, real_time_day
from gridmarket.network.rts_gmlc_timeseries import day_ahead_series

SUMMER = date(2020, 7, 15)


@pytest.fixture(scope="module")
def rts_dir() -> Path:
    return get_settings().rts_gmlc_dir


@pytest.mark.parametrize(("day", "hours"), [(SUMMER, 24), (date(2020, 3, 8), 23),
                                             (date(2020, 11, 1), 25)])
def test_the_case_has_one_period_per_hour_of_the_trade_day(rts_dir, day, hours):
    inp = day_ahead_case(rts_dir, day, MarketParameters())
    assert inp.periods.count == hours
    assert inp.units.p_max_mw.shape == (inp.units.n_units, hours)
    assert inp.demand.fixed_mw.shape[1] == hours
    assert inp.reserves is not None and inp.reserves.requirement_mw.shape[2] == hours


def test_demand_per_hour_equals_the_area_load_forecasts(rts_dir):
    parameters = MarketParameters()
    inp = day_ahead_case(rts_dir, SUMMER, parameters)
    start, end = trade_day_utc(parameters, SUMMER)
    loads = (day_ahead_series(rts_dir, start, end).filter(kind="area_load")
             .group_by("interval_start_utc").agg(total=pl.col("value_mw").sum())
             .sort("interval_start_utc")["total"].to_numpy())
    np.testing.assert_allclose(inp.demand.fixed_mw.sum(axis=0), loads, rtol=1e-12)


def test_units_offer_their_costs_and_renewables_their_forecast(rts_dir):
    inp = day_ahead_case(rts_dir, SUMMER, MarketParameters())
    units = inp.units
    ids = list(units.unit_ids)
    coal = ids.index("101_STEAM_3")
    # docs/rts-gmlc.md: 30 MW at $841.58/h, first segment $14.19/MWh, hot start $7,144.02.
    assert units.p_min_mw[coal, 0] == pytest.approx(30.0)
    assert units.min_load_cost_usd_per_h[coal, 0] == pytest.approx(841.58, abs=0.01)
    assert units.offer_price_usd_per_mwh[coal, 0, 0] == pytest.approx(14.19, abs=0.01)
    assert units.startup_cost_usd[coal] == pytest.approx(7144.02, abs=0.01)
    hydro = ids.index("122_HYDRO_1")
    assert units.must_run[hydro].all()
    np.testing.assert_array_equal(units.p_min_mw[hydro], units.p_max_mw[hydro])
    assert "313_STORAGE_1" not in ids and inp.storage is not None
    assert inp.storage.storage_ids.tolist() == ["313_STORAGE_1"]
    spin = inp.reserves.requirement_mw[ReserveProduct.SPIN]
    assert (spin[1:] > 0).all() and (spin[0] == 0).all()  # per area, not system-wide


def test_a_three_hour_window_clears_consistently(rts_dir):
    inp = day_ahead_case(rts_dir, SUMMER, MarketParameters(), CaseOptions(mip_gap=0.01))
    result = clear_day_ahead(select_periods(inp, 12, 15))
    assert result.consistency.ok, result.consistency.summary()
    assert result.relaxations.shortage_mw.max() == pytest.approx(0.0, abs=1e-6)
    demand = result.schedules.demand_served_mw.sum(axis=0)
    supply = result.schedules.output_mw.sum(axis=0) + result.schedules.storage_discharge_mw.sum(
        axis=0) - result.schedules.storage_charge_mw.sum(axis=0)
    np.testing.assert_allclose(supply, demand, atol=1e-5)  # lossless case
    assert result.statistics.seconds_to_gap(0.01) is not None


def test_real_time_dispatch_of_a_few_intervals_is_consistent_and_reuses_its_model(rts_dir):
    parameters = MarketParameters()
    day_ahead = day_ahead_case(rts_dir, SUMMER, parameters)
    units = day_ahead.units
    # Every thermal unit that starts the day on stays on; a commitment to dispatch from.
    commitment = np.broadcast_to(units.initial_on[:, None], units.p_max_mw.shape)
    day = real_time_day(rts_dir, SUMMER, parameters, commitment)
    assert day.n_intervals == 288
    run = dispatch_real_time(day, range(6))
    assert len(run.results) == 6
    for result in run.results:
        assert result.consistency.ok, result.consistency.summary()
        prices = result.prices
        parts = prices.smec_usd_per_mwh[None, :] + prices.mcc_usd_per_mwh + prices.mcl_usd_per_mwh
        np.testing.assert_array_equal(parts, prices.lmp_usd_per_mwh)
    assert np.abs(run.results[-1].schedules.loss_factor).max() > 0  # losses are modelled
    rows = {r.statistics.n_columns for r in run.results}
    assert len(rows) == 1  # one model, re-solved in place
