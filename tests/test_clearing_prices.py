"""Locational marginal prices: SMEC + MCC + MCL, congestion, losses, aggregated nodes."""

import numpy as np
import pytest
from scipy.optimize import linprog

from gridmarket.clearing import (
    AggregatedNodes,
    ClearingInput,
    DemandBids,
    Network,
    Periods,
    SolverSettings,
    UnitOffers,
    clear_day_ahead,
)
from gridmarket.clearing.synthetic import two_bus_system


def test_two_bus_congestion_lmps_equal_the_two_marginal_offers():
    result = clear_day_ahead(two_bus_system(limit_mw=100.0, demand_mw=150.0))
    prices = result.prices
    assert prices.lmp_usd_per_mwh[:, 0] == pytest.approx([10.0, 30.0])
    assert result.schedules.output_mw[:, 0] == pytest.approx([100.0, 50.0])
    assert result.schedules.branch_flow_mw[0, 0] == pytest.approx(100.0)
    assert result.consistency.ok, result.consistency.summary()


def test_congestion_part_is_the_price_difference_and_smec_the_reference_price():
    # Reference (load-distributed) at the load bus B: SMEC = LMP_B, MCC_A = 10 − 30.
    at_load = clear_day_ahead(two_bus_system(limit_mw=100.0)).prices
    assert at_load.smec_usd_per_mwh[0] == pytest.approx(30.0)
    assert at_load.mcc_usd_per_mwh[:, 0] == pytest.approx([-20.0, 0.0])
    # Reference at A: SMEC = LMP_A and the congestion part moves to B.
    at_a = clear_day_ahead(two_bus_system(limit_mw=100.0, reference_at_load=False)).prices
    assert at_a.smec_usd_per_mwh[0] == pytest.approx(10.0)
    assert at_a.mcc_usd_per_mwh[:, 0] == pytest.approx([0.0, 20.0])


def test_uncongested_network_has_one_price_and_no_congestion_part():
    result = clear_day_ahead(two_bus_system(limit_mw=500.0))
    assert result.prices.lmp_usd_per_mwh[:, 0] == pytest.approx([10.0, 10.0])
    assert result.prices.mcc_usd_per_mwh == pytest.approx(0.0)
    assert result.statistics.branch_rows == 0


def test_binding_branch_is_reported_with_its_shadow_price():
    result = clear_day_ahead(two_bus_system(limit_mw=100.0))
    branch = result.binding_constraints.filter(family="branch")
    assert branch["element"].to_list() == ["AB"]
    assert branch["shadow_price"][0] == pytest.approx(-20.0)


def test_branch_limits_added_lazily_match_all_limits_up_front():
    lazy_input = _three_bus_input(lazy=True)
    full_input = _three_bus_input(lazy=False)
    lazy, full = clear_day_ahead(lazy_input), clear_day_ahead(full_input)
    # The LP screening finds the congested line in a second round; the MIP needs one.
    assert lazy.statistics.screening_iterations == 2
    assert lazy.statistics.lazy_iterations == 1
    assert lazy.statistics.branch_rows < full.statistics.branch_rows
    np.testing.assert_allclose(lazy.prices.lmp_usd_per_mwh, full.prices.lmp_usd_per_mwh,
                               atol=1e-6)


def test_lmp_matches_an_independent_angle_formulation():
    inp = _three_bus_input(lazy=True)
    result = clear_day_ahead(inp)
    expected = _angle_formulation_lmps()
    np.testing.assert_allclose(result.prices.lmp_usd_per_mwh[:, 0], expected, atol=1e-6)
    parts = (result.prices.smec_usd_per_mwh[None, :] + result.prices.mcc_usd_per_mwh
             + result.prices.mcl_usd_per_mwh)
    np.testing.assert_array_equal(parts, result.prices.lmp_usd_per_mwh)
    assert result.consistency.ok, result.consistency.summary()


def test_marginal_loss_part_is_minus_loss_factor_times_smec():
    # r = 0.02 pu on 100 MVA, 100 MW from A to the load at B (the reference):
    # LF_A = 2·r·f/S = 0.04, so the cheap unit at A sets LMP_A = 10 = SMEC·(1 − 0.04).
    inp = two_bus_system(limit_mw=1000.0, demand_mw=100.0, resistance_pu=0.02)
    result = clear_day_ahead(inp)
    prices = result.prices
    smec = 10.0 / (1 - 0.04)
    assert prices.smec_usd_per_mwh[0] == pytest.approx(smec)
    assert prices.mcl_usd_per_mwh[:, 0] == pytest.approx([-0.04 * smec, 0.0])
    assert prices.lmp_usd_per_mwh[:, 0] == pytest.approx([10.0, smec])
    # The linearised balance: 0.96·P_A − 100 = offset = −L0 = −2 MW.
    assert result.schedules.output_mw[0, 0] == pytest.approx(98.0 / 0.96)
    assert result.schedules.losses_mw[0] == pytest.approx(98.0 / 0.96 - 100.0)
    assert result.consistency.ok, result.consistency.summary()


def test_lossless_mode_ignores_resistance():
    inp = two_bus_system(limit_mw=1000.0, demand_mw=100.0, resistance_pu=0.02)
    lossless = ClearingInput(network=inp.network, periods=inp.periods, units=inp.units,
                             demand=inp.demand,
                             settings=SolverSettings.from_rules(lossless=True))
    prices = clear_day_ahead(lossless).prices
    assert prices.lmp_usd_per_mwh[:, 0] == pytest.approx([10.0, 10.0])
    assert prices.mcl_usd_per_mwh == pytest.approx(0.0)


def test_given_base_case_sets_the_loss_linearisation_point():
    inp = two_bus_system(limit_mw=1000.0, demand_mw=100.0, resistance_pu=0.02)
    base = np.array([[50.0], [-50.0]])  # LF_A = 2·0.02·50/100 = 0.02
    with_base = ClearingInput(network=inp.network, periods=inp.periods, units=inp.units,
                              demand=inp.demand, base_case_injection_mw=base)
    prices = clear_day_ahead(with_base).prices
    assert prices.mcl_usd_per_mwh[0, 0] == pytest.approx(-0.02 * prices.smec_usd_per_mwh[0])


def test_aggregated_node_price_is_the_weighted_average_of_its_buses():
    inp = two_bus_system(limit_mw=100.0)
    agg = AggregatedNodes.create({"LAP": {"A": 1.0, "B": 3.0}}, ["A", "B"])
    with_agg = ClearingInput(network=inp.network, periods=inp.periods, units=inp.units,
                             demand=inp.demand, aggregated_nodes=agg)
    prices = clear_day_ahead(with_agg).prices
    assert prices.aggregated_lmp_usd_per_mwh[0, 0] == pytest.approx(0.25 * 10 + 0.75 * 30)


def test_hvdc_link_is_a_controllable_transfer_beside_the_ac_line():
    # 150 MW of load at B: the AC line takes 60 MW, the HVDC link its 40 MW limit,
    # the dear unit at B the rest; the controllable link moves no AC flow.
    network = Network.create(["A", "B"], load_weights=[0.0, 1.0],
                             branches=[("AB", "A", "B", 0.1, 60.0)],
                             hvdc=[("DC", "A", "B", -40.0, 40.0)])
    units = UnitOffers.create(["G_A", "G_B"], ["A", "B"], 1, p_max_mw=200.0,
                              offer_mw=[[200.0], [200.0]],
                              offer_price_usd_per_mwh=[[10.0], [30.0]])
    demand = DemandBids.create(["L"], ["B"], 1, fixed_mw=150.0)
    result = clear_day_ahead(ClearingInput(network=network, periods=Periods.uniform(1, 60),
                                           units=units, demand=demand))
    assert result.schedules.hvdc_flow_mw[0, 0] == pytest.approx(40.0)
    assert result.schedules.branch_flow_mw[0, 0] == pytest.approx(60.0)
    assert result.schedules.output_mw[:, 0] == pytest.approx([100.0, 50.0])
    assert result.prices.lmp_usd_per_mwh[:, 0] == pytest.approx([10.0, 30.0])
    assert result.consistency.ok, result.consistency.summary()


def test_price_frame_lists_every_bus_and_period():
    result = clear_day_ahead(two_bus_system(limit_mw=100.0, n_periods=3))
    frame = result.price_frame()
    assert frame.shape == (6, 6)
    total = frame["smec_usd_per_mwh"] + frame["mcc_usd_per_mwh"] + frame["mcl_usd_per_mwh"]
    assert (total - frame["lmp_usd_per_mwh"]).abs().max() == 0.0


# --- a three-bus loop with one congested line, solved two ways ----------------------
# Buses 0, 1, 2; lines 0→1 (limit 60), 1→2, 0→2 with equal reactance. Cheap unit at
# bus 0 ($10), dear at bus 1 ($40), a mid unit at bus 2 ($25), 150 MW of load at bus 1.
BRANCHES = [("L01", "0", "1", 0.1, 60.0), ("L12", "1", "2", 0.1, 500.0),
            ("L02", "0", "2", 0.1, 500.0)]
COSTS = [10.0, 40.0, 25.0]


def _three_bus_input(lazy: bool) -> ClearingInput:
    network = Network.create(["0", "1", "2"], load_weights=[0.0, 1.0, 0.0], branches=BRANCHES)
    units = UnitOffers.create(["G0", "G1", "G2"], ["0", "1", "2"], 1, p_max_mw=200.0,
                              offer_mw=[[200.0]] * 3,
                              offer_price_usd_per_mwh=[[c] for c in COSTS])
    demand = DemandBids.create(["L1"], ["1"], 1, fixed_mw=150.0)
    return ClearingInput(network=network, periods=Periods.uniform(1, 60), units=units,
                         demand=demand,
                         settings=SolverSettings.from_rules(lazy_branch_constraints=lazy))


def _angle_formulation_lmps() -> np.ndarray:
    """LMPs as duals of nodal balances in a B-θ model solved by scipy (independent)."""
    # Variables: g0, g1, g2, θ1, θ2 (θ0 = 0). Susceptance b = 10 per line.
    b = 10.0
    cost = np.array([*COSTS, 0.0, 0.0])
    # Nodal balance: g_i − Σ_j b·(θ_i − θ_j) = demand_i, with θ0 = 0.
    a_eq = np.array([
        [1, 0, 0, b, b],
        [0, 1, 0, -2 * b, b],
        [0, 0, 1, b, -2 * b],
    ], dtype=float)
    b_eq = np.array([0.0, 150.0, 0.0])
    # Line 0→1 flow b(θ0 − θ1) = −bθ1 ≤ 60, and ≥ −60.
    a_ub = np.array([[0, 0, 0, -b, 0], [0, 0, 0, b, 0]], dtype=float)
    b_ub = np.array([60.0, 60.0])
    bounds = [(0, 200)] * 3 + [(None, None)] * 2
    res = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds,
                  method="highs")
    assert res.status == 0
    return np.asarray(res.eqlin.marginals)
