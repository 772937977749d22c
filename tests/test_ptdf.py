"""DC sensitivities: PTDFs, load-distributed reference and marginal loss factors."""

import numpy as np
import pytest

from gridmarket.network.losses import branch_losses_mw, linearise_losses
from gridmarket.network.ptdf import DcNetwork, distribute_reference, ptdf_matrix

# Three buses in a loop with equal reactances: lines 0→1, 1→2, 0→2.
LOOP = dict(from_bus=[0, 1, 0], to_bus=[1, 2, 2], reactance_pu=[0.1, 0.1, 0.1])


def test_three_bus_loop_ptdf_matches_hand_computed_factors():
    # 1 MW injected at bus 1 and withdrawn at bus 0 splits 2/3 on the direct line
    # (against its 0→1 direction) and 1/3 around the loop 1→2→0.
    ptdf = ptdf_matrix(**LOOP, n_buses=3, reference=0)
    expected = np.array([
        [0.0, -2 / 3, -1 / 3],
        [0.0, 1 / 3, -1 / 3],
        [0.0, -1 / 3, -2 / 3],
    ])
    np.testing.assert_allclose(ptdf, expected, atol=1e-12)


def test_ptdf_with_unequal_reactances_follows_the_impedance_split():
    # Line 0→1 has half the reactance of the path 1→2→0 (0.1 + 0.1 vs 0.1): direct
    # path x=0.1, loop x=0.2, so 2/3 of a 0→1 transfer goes direct.
    ptdf = ptdf_matrix([0, 1, 0], [1, 2, 2], [0.1, 0.1, 0.1], n_buses=3, reference=1)
    assert ptdf[0, 0] == pytest.approx(2 / 3)
    assert ptdf[2, 0] == pytest.approx(1 / 3)


def test_flows_equal_ptdf_times_balanced_injection():
    net = DcNetwork(**LOOP, n_buses=3, reference=0)
    injection = np.array([[50.0, -20.0], [-80.0, 30.0], [30.0, -10.0]])
    np.testing.assert_allclose(net.flows(injection), net.ptdf() @ injection, atol=1e-9)


def test_reference_choice_does_not_change_flows_of_a_balanced_injection():
    injection = np.array([40.0, -100.0, 60.0])
    flows = [ptdf_matrix(**LOOP, n_buses=3, reference=ref) @ injection for ref in range(3)]
    np.testing.assert_allclose(flows[0], flows[1], atol=1e-9)
    np.testing.assert_allclose(flows[0], flows[2], atol=1e-9)


def test_load_distributed_reference_gives_zero_flow_for_delivery_to_the_loads():
    weights = np.array([0.2, 0.3, 0.5])
    ptdf = ptdf_matrix(**LOOP, n_buses=3, reference=0, weights=weights)
    np.testing.assert_allclose(ptdf @ weights, 0.0, atol=1e-12)
    single = ptdf_matrix(**LOOP, n_buses=3, reference=0)
    np.testing.assert_allclose(ptdf, distribute_reference(single, weights))


def test_ptdf_rows_for_selected_branches_only():
    net = DcNetwork(**LOOP, n_buses=3, reference=0)
    np.testing.assert_allclose(net.ptdf([2]), net.ptdf()[[2]])


def test_transpose_product_equals_ptdf_transpose_times_vector():
    net = DcNetwork(**LOOP, n_buses=3, reference=2)
    g = np.array([[0.3, 1.0], [-0.7, 0.0], [0.1, 2.0]])
    weights = np.array([0.5, 0.5, 0.0])
    np.testing.assert_allclose(net.ptdf_transpose_product(g, weights),
                               net.ptdf(weights=weights).T @ g, atol=1e-12)


def test_islanded_network_is_rejected():
    with pytest.raises(ValueError, match="islands"):
        DcNetwork([0], [1], [0.1], n_buses=3, reference=0)


def test_branch_losses_are_resistance_times_flow_squared_over_base():
    assert branch_losses_mw([200.0], [0.01], 100.0)[0] == pytest.approx(4.0)


def test_loss_factor_is_derivative_of_quadratic_losses():
    # One line, r = 0.02 pu on 100 MVA, 100 MW from A to the load at B (the reference).
    net = DcNetwork([0], [1], [0.1], n_buses=2, reference=1)
    lin = linearise_losses(net, [0.02], 100.0, [[100.0], [-100.0]], [0.0, 1.0])
    assert lin.loss_factor[:, 0] == pytest.approx([2 * 0.02 * 100.0 / 100.0, 0.0])
    assert lin.base_losses_mw[0] == pytest.approx(2.0)
    # Offset = L0 − Σ LF·P0 = 2 − 0.04·100 = −2 (= −L0 for a balanced base case).
    assert lin.offset_mw[0] == pytest.approx(-2.0)


def test_loss_factors_match_finite_differences_on_the_loop():
    net = DcNetwork(**LOOP, n_buses=3, reference=0)
    r = np.array([0.01, 0.02, 0.03])
    weights = np.array([0.0, 0.4, 0.6])
    base = np.array([150.0, -60.0, -90.0])
    lin = linearise_losses(net, r, 100.0, base[:, None], weights)

    def losses(p):
        return branch_losses_mw(net.flows(p, weights=weights), r, 100.0).sum()

    step = 1e-3
    for bus in range(3):
        bumped = base.copy()
        bumped[bus] += step
        numeric = (losses(bumped) - losses(base)) / step
        assert lin.loss_factor[bus, 0] == pytest.approx(numeric, abs=1e-5)
    # Measured towards the load-distributed reference, the weighted factors sum to zero.
    assert weights @ lin.loss_factor[:, 0] == pytest.approx(0.0, abs=1e-12)
