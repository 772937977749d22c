"""Input tables of the clearing engine: validation names table, row and field."""

import numpy as np
import pytest

from gridmarket.clearing import (
    ClearingInput,
    DemandBids,
    InputError,
    Network,
    Penalties,
    Periods,
    ReserveRequirements,
    SolverSettings,
    Storage,
    UnitOffers,
    VirtualBids,
)
from gridmarket.config import BidRules, ClearingRules


def _unit(**overrides):
    args = dict(p_max_mw=100.0, offer_mw=[[50.0, 50.0]], offer_price_usd_per_mwh=[[10.0, 20.0]])
    args.update(overrides)
    return UnitOffers.create(["G1"], ["A"], 2, **args)


def test_trade_day_may_have_23_24_or_25_hourly_periods():
    for hours in (23, 24, 25):
        assert Periods.uniform(hours, 60).count == hours
    assert Periods.uniform(4, 15).hours.sum() == pytest.approx(1.0)


def test_period_length_must_be_positive():
    with pytest.raises(InputError, match=r"Periods.*duration_minutes"):
        Periods(np.array([60.0, 0.0]))


def test_supply_offer_prices_must_not_decrease():
    with pytest.raises(InputError) as error:
        _unit(offer_price_usd_per_mwh=[[20.0, 10.0]])
    assert error.value.table == "UnitOffers"
    assert error.value.field == "offer_price_usd_per_mwh"
    assert error.value.row == "G1, period 0, segment 1"


def test_zero_width_segments_do_not_count_for_monotonicity():
    units = _unit(offer_mw=[[50.0, 0.0, 50.0]], offer_price_usd_per_mwh=[[10.0, 5.0, 20.0]])
    assert units.n_segments == 3


def test_pmax_below_pmin_names_the_unit_and_period():
    with pytest.raises(InputError, match=r"row G1, period 0, field 'p_max_mw'"):
        _unit(p_min_mw=120.0)


def test_nan_is_rejected_with_its_position():
    with pytest.raises(InputError, match=r"row G1, period 1.*p_max_mw"):
        _unit(p_max_mw=[[100.0, np.nan]])


def test_self_schedule_needs_a_type_known_to_the_penalties():
    with pytest.raises(InputError, match="self_schedule_type"):
        _unit(self_schedule_mw=20.0)
    units = _unit(self_schedule_mw=20.0, self_schedule_type=["XX"])
    network = Network.create(["A"])
    demand = DemandBids.create(["L"], ["A"], 2, fixed_mw=10.0)
    with pytest.raises(InputError, match="unknown type 'XX'"):
        ClearingInput(network=network, periods=Periods.uniform(2, 60), units=units,
                      demand=demand)


def test_demand_bid_prices_must_not_increase():
    with pytest.raises(InputError, match=r"DemandBids.*non-increasing"):
        DemandBids.create(["L"], ["A"], 1, bid_mw=[[10.0, 10.0]],
                          bid_price_usd_per_mwh=[[10.0, 20.0]])


def test_virtual_demand_prices_must_not_increase_but_supply_may():
    VirtualBids.create(["VS"], ["A"], 1, is_supply=[True], bid_mw=[[5.0, 5.0]],
                       bid_price_usd_per_mwh=[[10.0, 20.0]])
    with pytest.raises(InputError, match="VirtualBids"):
        VirtualBids.create(["VD"], ["A"], 1, is_supply=[False], bid_mw=[[5.0, 5.0]],
                           bid_price_usd_per_mwh=[[10.0, 20.0]])


def test_unknown_bus_is_named():
    network = Network.create(["A"])
    demand = DemandBids.create(["L"], ["Z"], 2, fixed_mw=10.0)
    with pytest.raises(InputError, match=r"DemandBids.*unknown bus 'Z'"):
        ClearingInput(network=network, periods=Periods.uniform(2, 60), units=_unit(),
                      demand=demand)


def test_period_counts_must_agree_across_tables():
    network = Network.create(["A"])
    demand = DemandBids.create(["L"], ["A"], 3, fixed_mw=10.0)
    with pytest.raises(InputError, match=r"DemandBids.*3 periods, expected 2"):
        ClearingInput(network=network, periods=Periods.uniform(2, 60), units=_unit(),
                      demand=demand)


def test_network_rejects_duplicate_ids_and_zero_reactance():
    with pytest.raises(InputError, match="duplicate"):
        Network.create(["A", "A"])
    with pytest.raises(InputError, match="reactance_pu"):
        Network.create(["A", "B"], branches=[("L", "A", "B", 0.0, 10.0)])


def test_storage_initial_energy_within_limits():
    with pytest.raises(InputError, match=r"Storage.*initial_energy_mwh"):
        Storage.create(["S"], ["A"], 2, charge_max_mw=1.0, discharge_max_mw=1.0,
                       energy_max_mwh=5.0, initial_energy_mwh=6.0)


def test_reserve_zone_areas_must_exist():
    network = Network.create(["A"], areas=["NORTH"])
    demand = DemandBids.create(["L"], ["A"], 2, fixed_mw=10.0)
    reserves = ReserveRequirements.create(["Z"], [("SOUTH",)], 2, spin_mw=5.0)
    with pytest.raises(InputError, match="unknown areas"):
        ClearingInput(network=network, periods=Periods.uniform(2, 60), units=_unit(),
                      demand=demand, reserves=reserves)


def test_penalties_come_from_the_rulebook_configuration():
    rules = ClearingRules()
    penalties = Penalties.from_rules(rules)
    assert penalties.power_balance_usd_per_mwh == float(rules.power_balance_penalty)
    assert penalties.branch_overload_usd_per_mwh == float(rules.branch_overload_penalty)
    assert penalties.reserve_shortfall_usd_per_mw.tolist() == [1000.0, 1000.0, 800.0, 600.0]


def test_self_schedule_curtailment_prices_rise_with_priority_and_clear_every_economic_bid():
    bids = BidRules()
    ladder = Penalties.from_rules(bids=bids).self_schedule_usd_per_mwh
    assert list(ladder) == list(bids.self_schedule_priority)
    prices = list(ladder.values())
    assert prices == sorted(prices)
    # Priced below the bid floor, so every economic decrement is taken first ...
    assert min(prices) > abs(float(bids.price_floor_usd_per_mwh))
    # ... and all of them before the power balance is violated.
    assert max(prices) < float(ClearingRules().power_balance_penalty)


def test_solver_settings_come_from_the_rulebook_configuration():
    settings = SolverSettings.from_rules(ClearingRules(mip_gap=0.01), lossless=True)
    assert settings.mip_gap == 0.01
    assert settings.lossless is True


def test_input_arrays_are_read_only():
    units = _unit()
    with pytest.raises(ValueError):
        units.p_max_mw[0, 0] = 5.0
