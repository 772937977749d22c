"""Co-optimised ancillary services: opportunity cost, substitution, shortfall, zones."""

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

RU, RD, SP, NS = (ReserveProduct.REG_UP, ReserveProduct.REG_DOWN, ReserveProduct.SPIN,
                  ReserveProduct.NON_SPIN)


def _clear(units, reserves, demand_mw=100.0, areas=None, buses=("A",)):
    network = Network.create(list(buses), areas=areas,
                             branches=[(f"L{i}", buses[0], b, 0.1, np.inf)
                                       for i, b in enumerate(buses[1:])])
    n = units.n_periods
    demand = DemandBids.create(["L"], [buses[0]], n, fixed_mw=demand_mw)
    result = clear_day_ahead(ClearingInput(network=network, periods=Periods.uniform(n, 60),
                                           units=units, demand=demand, reserves=reserves))
    assert result.consistency.ok, result.consistency.summary()
    return result


def _pair(**kwargs):
    args = dict(p_max_mw=100.0, offer_mw=[[100.0], [100.0]],
                offer_price_usd_per_mwh=[[10.0], [30.0]])
    buses = kwargs.pop("buses", ["A", "A"])
    args.update(kwargs)
    return UnitOffers.create(["CHEAP", "DEAR"], buses, 1, **args)


def test_reserve_price_equals_the_opportunity_cost_of_withheld_energy():
    # 50 MW of spin is needed; the dear unit can ramp only 20 MW in 10 minutes, so
    # the cheap unit gives up 30 MW of $10 energy that the $30 unit then supplies.
    units = _pair(reserve_offer_mw={SP: [100.0, 20.0]}, reserve_price_usd_per_mw=0.0)
    reserves = ReserveRequirements.create(["SYS"], [()], 1, spin_mw=50.0)
    result = _clear(units, reserves)
    assert result.schedules.output_mw[:, 0] == pytest.approx([70.0, 30.0])
    assert result.schedules.reserve_award_mw[:, 0, SP] == pytest.approx([30.0, 20.0])
    assert result.prices.lmp_usd_per_mwh[0, 0] == pytest.approx(30.0)
    assert result.prices.reserve_usd_per_mw[SP, 0, 0] == pytest.approx(30.0 - 10.0)


def test_reserve_award_is_capped_by_ramp_rate_times_response_time():
    units = _pair(reserve_offer_mw={SP: [100.0, 100.0]}, ramp_up_mw_per_min=[1.0, 2.0])
    reserves = ReserveRequirements.create(["SYS"], [()], 1, spin_mw=25.0)
    result = _clear(units, reserves)
    assert result.schedules.reserve_award_mw[:, 0, SP].max() <= 20.0 + 1e-9


def test_regulation_up_substitutes_for_spinning_reserve():
    # No regulation is required; spinning is. Regulation up at $1 is cheaper than
    # spin at $5, and counts towards spin.
    units = _pair(reserve_offer_mw={RU: [50.0, 0.0], SP: [0.0, 50.0]},
                  reserve_price_usd_per_mw={RU: [1.0, 0.0], SP: [0.0, 5.0]})
    reserves = ReserveRequirements.create(["SYS"], [()], 1, spin_mw=20.0)
    result = _clear(units, reserves, demand_mw=50.0)
    assert result.schedules.reserve_award_mw[0, 0, RU] == pytest.approx(20.0)
    assert result.schedules.reserve_award_mw[1, 0, SP] == pytest.approx(0.0)
    prices = result.prices.reserve_usd_per_mw[:, 0, 0]
    assert prices[SP] == pytest.approx(1.0)
    assert prices[RU] >= prices[SP] >= prices[NS]


def test_lower_quality_reserve_does_not_count_towards_a_higher_one():
    # Regulation up is required but only spin is offered: the shortfall is priced.
    units = _pair(reserve_offer_mw={SP: [50.0, 50.0]})
    reserves = ReserveRequirements.create(["SYS"], [()], 1, reg_up_mw=10.0)
    result = _clear(units, reserves, demand_mw=50.0)
    assert result.relaxations.reserve_shortfall_mw[RU, 0, 0] == pytest.approx(10.0)
    penalty = result.input.penalties.reserve_shortfall_usd_per_mw[RU]
    assert result.prices.reserve_usd_per_mw[RU, 0, 0] == pytest.approx(penalty)


def test_spinning_shortfall_is_priced_at_its_penalty():
    units = _pair(reserve_offer_mw={SP: [5.0, 5.0]})
    reserves = ReserveRequirements.create(["SYS"], [()], 1, spin_mw=30.0)
    result = _clear(units, reserves, demand_mw=50.0)
    assert result.relaxations.reserve_shortfall_mw[SP, 0, 0] == pytest.approx(20.0)
    assert result.prices.reserve_usd_per_mw[SP, 0, 0] == pytest.approx(800.0)
    assert result.relaxations.any


def test_regulation_down_needs_room_above_pmin():
    units = _pair(p_min_mw=[40.0, 0.0], reserve_offer_mw={RD: [60.0, 0.0]},
                  min_load_cost_usd_per_h=[400.0, 0.0])
    reserves = ReserveRequirements.create(["SYS"], [()], 1, reg_down_mw=30.0)
    result = _clear(units, reserves, demand_mw=80.0)
    out, rd = result.schedules.output_mw[0, 0], result.schedules.reserve_award_mw[0, 0, RD]
    assert rd == pytest.approx(30.0)
    assert out - rd >= 40.0 - 1e-6


def test_quick_start_unit_offers_non_spin_while_offline():
    units = _pair(reserve_offer_mw={NS: [0.0, 40.0]}, quick_start=[False, True],
                  p_min_mw=[0.0, 20.0], min_load_cost_usd_per_h=[0.0, 600.0])
    reserves = ReserveRequirements.create(["SYS"], [()], 1, non_spin_mw=40.0)
    result = _clear(units, reserves, demand_mw=50.0)
    assert not result.schedules.commitment[1, 0]
    assert result.schedules.reserve_award_mw[1, 0, NS] == pytest.approx(40.0)


def test_area_requirement_counts_only_units_in_the_area():
    # The south needs 30 MW of spin from its own units; the system needs 40.
    units = _pair(buses=["N", "S"], reserve_offer_mw={SP: [100.0, 100.0]},
                  reserve_price_usd_per_mw={SP: [1.0, 3.0]})
    reserves = ReserveRequirements.create(["SYS", "SOUTH"], [(), ("S_AREA",)], 1,
                                          spin_mw=[[40.0], [30.0]])
    result = _clear(units, reserves, demand_mw=50.0, buses=("N", "S"),
                    areas=["N_AREA", "S_AREA"])
    awards = result.schedules.reserve_award_mw[:, 0, SP]
    assert awards == pytest.approx([10.0, 30.0])
    prices = result.prices.reserve_usd_per_mw[SP, :, 0]
    assert prices == pytest.approx([1.0, 2.0])  # the south adds 3 − 1 on top of the system
    frame = result.reserve_price_frame()
    assert frame.filter(product="spin", zone="SOUTH")["price_usd_per_mw"][0] == pytest.approx(2.0)
