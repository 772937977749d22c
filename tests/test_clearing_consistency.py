"""The consistency check: random bid stacks clear consistently; bad results are caught."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridmarket.clearing import (
    ClearingInput,
    DemandBids,
    Network,
    Periods,
    ReserveRequirements,
    UnitOffers,
    VirtualBids,
    clear_day_ahead,
)
from gridmarket.clearing.consistency import check_consistency
from gridmarket.clearing.synthetic import two_bus_system

BUSES = ["N1", "N2", "N3"]
LOOP = [("L12", "N1", "N2", 0.1), ("L23", "N2", "N3", 0.2), ("L13", "N1", "N3", 0.15)]


@st.composite
def bid_stacks(draw):
    n_units = draw(st.integers(2, 4))
    n_periods = draw(st.integers(1, 3))
    n_segments = draw(st.integers(1, 4))
    widths = draw(st.lists(st.floats(0.0, 60.0), min_size=n_units * n_segments,
                           max_size=n_units * n_segments))
    steps = draw(st.lists(st.floats(0.0, 40.0), min_size=n_units * n_segments,
                          max_size=n_units * n_segments))
    width = np.array(widths).reshape(n_units, 1, n_segments)
    # Non-decreasing prices: a start price plus non-negative steps.
    price = (np.cumsum(np.array(steps).reshape(n_units, n_segments), axis=1) - 20.0)[:, None, :]
    p_min = np.array(draw(st.lists(st.sampled_from([0.0, 10.0]), min_size=n_units,
                                   max_size=n_units)))
    buses = draw(st.lists(st.sampled_from(BUSES), min_size=n_units, max_size=n_units))
    capacity = p_min + width.sum(axis=2)[:, 0]
    share = draw(st.floats(0.1, 0.9))
    demand = share * capacity.sum() * np.array(
        draw(st.lists(st.floats(0.5, 1.0), min_size=n_periods, max_size=n_periods)))
    limits = draw(st.lists(st.sampled_from([20.0, 50.0, np.inf]), min_size=3, max_size=3))
    spin = draw(st.sampled_from([0.0, 5.0]))
    virtual = draw(st.booleans())
    return dict(n_units=n_units, n_periods=n_periods, width=width, price=price, p_min=p_min,
                buses=buses, capacity=capacity, demand=demand, limits=limits, spin=spin,
                virtual=virtual)


def _input(case) -> ClearingInput:
    n, t = case["n_units"], case["n_periods"]
    network = Network.create(BUSES, load_weights=[0.2, 0.3, 0.5],
                             branches=[(*b, lim) for b, lim in zip(LOOP, case["limits"],
                                                                    strict=True)],
                             resistance_pu=0.01)
    units = UnitOffers.create(
        [f"G{i}" for i in range(n)], case["buses"], t, p_min_mw=case["p_min"],
        p_max_mw=case["capacity"], offer_mw=np.broadcast_to(case["width"], (n, t,
                                                                             case["width"].shape[2])),
        offer_price_usd_per_mwh=np.broadcast_to(case["price"], (n, t, case["price"].shape[2])),
        min_load_cost_usd_per_h=case["p_min"] * 5.0,
        reserve_offer_mw={2: np.minimum(case["capacity"] - case["p_min"], 10.0)},
        reserve_price_usd_per_mw=1.0,
    )
    demand = DemandBids.create(["D3", "D2"], ["N3", "N2"], t,
                               fixed_mw=np.stack([0.6 * case["demand"], 0.4 * case["demand"]]),
                               bid_mw=[[10.0], [5.0]], bid_price_usd_per_mwh=[[35.0], [5.0]])
    virtual = None
    if case["virtual"]:
        virtual = VirtualBids.create(["INC", "DEC"], ["N1", "N3"], t, is_supply=[True, False],
                                     bid_mw=[[8.0], [8.0]],
                                     bid_price_usd_per_mwh=[[12.0], [18.0]])
    reserves = ReserveRequirements.create(["SYS"], [()], t, spin_mw=case["spin"])
    return ClearingInput(network=network, periods=Periods.uniform(t, 60), units=units,
                         demand=demand, virtual_bids=virtual, reserves=reserves)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bid_stacks())
def test_random_bid_stacks_clear_consistently(case):
    result = clear_day_ahead(_input(case))
    assert result.consistency.ok, result.consistency.summary()
    prices = result.prices
    np.testing.assert_array_equal(
        prices.smec_usd_per_mwh[None, :] + prices.mcc_usd_per_mwh + prices.mcl_usd_per_mwh,
        prices.lmp_usd_per_mwh)


def test_check_catches_an_accepted_offer_priced_above_its_lmp():
    result = clear_day_ahead(two_bus_system(limit_mw=100.0))
    wrong = replace(result.prices, lmp_usd_per_mwh=result.prices.lmp_usd_per_mwh - 5.0)
    report = check_consistency(result.input, result.schedules, wrong, result.relaxations,
                               result.unit_limits)
    assert not report.ok
    checks = {f.check for f in report.violations}
    assert {"offer_prices", "price_parts"} <= checks
    assert any("accepted segment priced above its LMP" in f.detail for f in report.violations)


def test_check_catches_a_power_imbalance_and_an_output_above_pmax():
    result = clear_day_ahead(two_bus_system(limit_mw=100.0))
    output = result.schedules.output_mw.copy()
    output[0, 0] = 250.0
    wrong = replace(result.schedules, output_mw=output)
    report = check_consistency(result.input, wrong, result.prices, result.relaxations,
                               result.unit_limits)
    details = {f.detail for f in report.violations}
    assert "output above Pmax·u" in details
    assert "supply − demand differs from losses" in details


def test_explained_deviation_names_the_binding_unit_limit():
    # The cheap unit offers 100 MW at $10 but its Pmax is 60: the rest of its segment
    # is rejected below the $30 LMP, which its binding capacity explains.
    units = UnitOffers.create(["CHEAP", "DEAR"], ["A", "A"], 1, p_max_mw=[60.0, 100.0],
                              offer_mw=[[100.0], [100.0]],
                              offer_price_usd_per_mwh=[[10.0], [30.0]])
    inp = ClearingInput(network=Network.create(["A"]), periods=Periods.uniform(1, 60),
                        units=units, demand=DemandBids.create(["L"], ["A"], 1, fixed_mw=80.0))
    result = clear_day_ahead(inp)
    assert result.schedules.output_mw[:, 0] == pytest.approx([60.0, 20.0])
    assert result.consistency.ok
    (finding,) = result.consistency.explained
    assert (finding.element, finding.segment, finding.explained_by) == ("CHEAP", 1, ("capacity",))
    assert finding.magnitude == pytest.approx(20.0)
