"""Residual unit commitment: extra physical capacity when the IFM clears below forecast."""

import pytest

from gridmarket.clearing import (
    ClearingInput,
    DemandBids,
    Network,
    Periods,
    ReserveProduct,
    ReserveRequirements,
    UnitOffers,
    VirtualBids,
    clear_day_ahead,
)
from gridmarket.clearing.ruc import clear_residual_unit_commitment


def _market(virtual_supply_mw, reserves=None):
    """A 150 MW base unit (on) and two 100 MW peakers; 140 MW of bid-in load."""
    units = UnitOffers.create(
        ["BASE", "PEAK_CHEAP_START", "PEAK_DEAR_START"], ["A"] * 3, 2,
        p_max_mw=[150.0, 100.0, 100.0], p_min_mw=[0.0, 20.0, 20.0],
        offer_mw=[[150.0], [80.0], [80.0]], offer_price_usd_per_mwh=[[10.0], [40.0], [40.0]],
        startup_cost_usd=[0.0, 500.0, 3000.0], min_load_cost_usd_per_h=[0.0, 800.0, 800.0],
        initial_on=[True, False, False], initial_output_mw=[100.0, 0.0, 0.0],
        reserve_offer_mw={ReserveProduct.SPIN: [30.0, 0.0, 0.0]})
    virtual = VirtualBids.create(["INC"], ["A"], 2, is_supply=[True],
                                 bid_mw=[[virtual_supply_mw]], bid_price_usd_per_mwh=[[5.0]])
    return ClearingInput(network=Network.create(["A"]), periods=Periods.uniform(2, 60),
                         units=units,
                         demand=DemandBids.create(["L"], ["A"], 2, fixed_mw=140.0),
                         virtual_bids=virtual, reserves=reserves)


def test_ruc_commits_the_cheapest_extra_unit_when_ifm_clears_below_forecast():
    inp = _market(virtual_supply_mw=60.0)
    ifm = clear_day_ahead(inp)
    assert ifm.schedules.commitment[1:].sum() == 0  # virtual supply displaced the peakers
    ruc = clear_residual_unit_commitment(inp, ifm, forecast_demand_mw=[[200.0, 200.0]])
    assert ruc.extra_commitment[:, 0].tolist() == [False, True, False]
    assert ruc.result.schedules.output_mw[:, 0].sum() == pytest.approx(200.0)
    assert ruc.capacity_award_mw[0, 0] == pytest.approx(150.0 - ifm.schedules.output_mw[0, 0])
    assert ruc.result.consistency.ok, ruc.result.consistency.summary()


def test_ruc_commits_nothing_when_the_ifm_covers_the_forecast():
    inp = _market(virtual_supply_mw=0.0)
    ifm = clear_day_ahead(inp)
    ruc = clear_residual_unit_commitment(inp, ifm, forecast_demand_mw=[[140.0, 140.0]])
    assert not ruc.extra_commitment.any()


def test_ruc_keeps_ifm_reserve_awards_held():
    reserves = ReserveRequirements.create(["SYS"], [()], 2, spin_mw=30.0)
    inp = _market(virtual_supply_mw=60.0, reserves=reserves)
    ifm = clear_day_ahead(inp)
    assert ifm.schedules.reserve_award_mw[0, 0, ReserveProduct.SPIN] == pytest.approx(30.0)
    ruc = clear_residual_unit_commitment(inp, ifm, forecast_demand_mw=[[200.0, 200.0]])
    # The base unit can give only 150 − 30 MW of energy; the peaker covers the rest.
    assert ruc.result.schedules.output_mw[:, 0] == pytest.approx([120.0, 80.0, 0.0])
