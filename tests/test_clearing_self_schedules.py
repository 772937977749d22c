"""Self-schedules: price-taking, curtailed only after every economic bid, by priority."""

import pytest

from gridmarket.clearing import (
    ClearingInput,
    DemandBids,
    Network,
    Periods,
    UnitOffers,
    VirtualBids,
    clear_day_ahead,
)


def _oversupply(demand_mw):
    # Three self-scheduled units (60 + 60 + 30 MW) and an economic unit at the floor.
    units = UnitOffers.create(
        ["LPT_UNIT", "PT_UNIT", "RMT_UNIT", "ECON"], ["A"] * 4, 1, p_max_mw=100.0,
        offer_mw=[[100.0]] * 4, offer_price_usd_per_mwh=[[20.0], [20.0], [20.0], [-150.0]],
        self_schedule_mw=[60.0, 60.0, 30.0, 0.0], self_schedule_type=["LPT", "PT", "RMT", ""])
    return ClearingInput(network=Network.create(["A"]), periods=Periods.uniform(1, 60),
                         units=units,
                         demand=DemandBids.create(["L"], ["A"], 1, fixed_mw=demand_mw))


def test_self_schedules_are_curtailed_lowest_priority_first():
    inp = _oversupply(100.0)
    result = clear_day_ahead(inp)
    s = result.schedules
    assert s.output_mw[:, 0] == pytest.approx([10.0, 60.0, 30.0, 0.0])
    assert s.self_schedule_curtailed_mw[:, 0] == pytest.approx([50.0, 0.0, 0.0, 0.0])
    # The curtailed type sets the price: minus its curtailment penalty.
    lpt = inp.penalties.self_schedule_usd_per_mwh["LPT"]
    assert result.prices.lmp_usd_per_mwh[0, 0] == pytest.approx(-lpt)
    assert result.consistency.ok, result.consistency.summary()


def test_higher_priority_is_curtailed_only_when_lower_ones_are_exhausted():
    result = clear_day_ahead(_oversupply(20.0))
    assert result.schedules.output_mw[:, 0] == pytest.approx([0.0, 0.0, 20.0, 0.0])
    curtailed = result.schedules.self_schedule_curtailed_mw[:, 0]
    assert curtailed == pytest.approx([60.0, 60.0, 10.0, 0.0])
    rmt = result.input.penalties.self_schedule_usd_per_mwh["RMT"]
    assert result.prices.lmp_usd_per_mwh[0, 0] == pytest.approx(-rmt)


def test_economic_bids_are_decremented_before_any_self_schedule():
    result = clear_day_ahead(_oversupply(200.0))
    assert result.schedules.output_mw[:, 0] == pytest.approx([60.0, 60.0, 30.0, 50.0])
    assert result.schedules.self_schedule_curtailed_mw.sum() == pytest.approx(0.0)
    assert result.prices.lmp_usd_per_mwh[0, 0] == pytest.approx(-150.0)


def test_self_schedule_is_delivered_even_above_the_market_price():
    units = UnitOffers.create(
        ["SS", "CHEAP"], ["A", "A"], 1, p_max_mw=100.0, p_min_mw=[20.0, 0.0],
        offer_mw=[[80.0], [100.0]], offer_price_usd_per_mwh=[[900.0], [10.0]],
        min_load_cost_usd_per_h=[5000.0, 0.0],
        self_schedule_mw=[50.0, 0.0], self_schedule_type=["PT", ""])
    inp = ClearingInput(network=Network.create(["A"]), periods=Periods.uniform(1, 60),
                        units=units, demand=DemandBids.create(["L"], ["A"], 1, fixed_mw=80.0))
    result = clear_day_ahead(inp)
    assert result.schedules.output_mw[:, 0] == pytest.approx([50.0, 30.0])
    assert result.prices.lmp_usd_per_mwh[0, 0] == pytest.approx(10.0)
    assert result.consistency.ok, result.consistency.summary()


def test_virtual_bids_clear_against_the_lmp():
    units = UnitOffers.create(["G"], ["A"], 1, p_max_mw=200.0, offer_mw=[[100.0, 100.0]],
                              offer_price_usd_per_mwh=[[20.0, 40.0]])
    virtual = VirtualBids.create(
        ["INC", "DEC_HIGH", "DEC_LOW"], ["A", "A", "A"], 1, is_supply=[True, False, False],
        bid_mw=[[30.0], [50.0], [50.0]], bid_price_usd_per_mwh=[[25.0], [45.0], [15.0]])
    inp = ClearingInput(network=Network.create(["A"]), periods=Periods.uniform(1, 60),
                        units=units, demand=DemandBids.create(["L"], ["A"], 1, fixed_mw=90.0),
                        virtual_bids=virtual)
    result = clear_day_ahead(inp)
    # Demand 90 + DEC_HIGH 50 = 140: the unit's $20 block (100), the $25 INC (30), then
    # 10 MW of the unit's $40 block: LMP = 40; the $15 DEC is rejected.
    assert result.schedules.virtual_award_mw[:, 0, 0] == pytest.approx([30.0, 50.0, 0.0])
    assert result.prices.lmp_usd_per_mwh[0, 0] == pytest.approx(40.0)
    assert result.consistency.ok, result.consistency.summary()
