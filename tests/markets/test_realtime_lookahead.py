"""Real-time look-ahead: units ramp ahead of a commitment change instead of falling short."""

from __future__ import annotations

import numpy as np

from gridmarket.clearing import ClearingInput, DemandBids, Network, Periods, UnitOffers
from gridmarket.markets.realtime_dispatch import dispatch_day

INTERVALS = 6
LOAD_MW = 150.0
RAMP_MW_PER_MIN = 10.0  # 50 MW per 5-minute interval


def _shutdown_at_interval_three() -> tuple[ClearingInput, np.ndarray, np.ndarray]:
    """A cheap unit carries the load until it is decommitted at interval 3; the dear
    unit left to carry it ramps 50 MW per interval from its minimum."""
    network = Network.create(["A", "B"], load_weights=[0.0, 1.0],
                             branches=[("AB", "A", "B", 0.1, 1000.0)])
    units = UnitOffers.create(
        ["CHEAP", "DEAR"], ["A", "B"], INTERVALS,
        p_max_mw=200.0, p_min_mw=[0.0, 10.0],
        offer_mw=[[200.0], [200.0]], offer_price_usd_per_mwh=[[10.0], [30.0]],
        ramp_up_mw_per_min=[1000.0, RAMP_MW_PER_MIN], initial_on=True,
    )
    demand = DemandBids.create(["LOAD_B"], ["B"], INTERVALS, fixed_mw=LOAD_MW)
    inp = ClearingInput(network=network, periods=Periods.uniform(INTERVALS, 5.0),
                        units=units, demand=demand)
    commitment = np.ones((2, INTERVALS), dtype=bool)
    commitment[0, 3:] = False
    return inp, commitment, np.array([140.0, 10.0])


def test_alone_each_interval_falls_short_when_the_cheap_unit_leaves() -> None:
    inp, commitment, initial = _shutdown_at_interval_three()
    outcome = dispatch_day(inp, commitment, initial, lookahead=1)
    output = outcome.day.output_mw
    assert output[1, 2] == 10.0  # the dear unit waits at its minimum until the change
    assert output[1, 3] == 60.0  # then ramps 50 MW: 90 MW short of the load
    assert outcome.day.smec[3] > 1000.0  # priced at the power-balance penalty


def test_with_look_ahead_the_dear_unit_ramps_before_and_the_load_is_met() -> None:
    inp, commitment, initial = _shutdown_at_interval_three()
    outcome = dispatch_day(inp, commitment, initial, lookahead=4)
    output = outcome.day.output_mw
    np.testing.assert_allclose(output.sum(axis=0), LOAD_MW, atol=1e-6)
    assert output[1, 3] == LOAD_MW
    assert np.all(np.diff(output[1, :4]) <= 5 * RAMP_MW_PER_MIN + 1e-6)
    assert outcome.day.smec.max() <= 30.0 + 1e-6
    assert outcome.failures == {}


def test_a_window_with_no_feasible_dispatch_falls_back_to_the_interval_alone() -> None:
    inp, commitment, initial = _shutdown_at_interval_three()
    # A unit that must reach zero at interval 3 but ramps down only 1 MW a minute
    # from 140 MW cannot: every window that sees the change is infeasible.
    slow = ClearingInput(network=inp.network, periods=inp.periods, demand=inp.demand,
                         units=UnitOffers.create(
                             ["CHEAP", "DEAR"], ["A", "B"], INTERVALS,
                             p_max_mw=200.0, p_min_mw=[0.0, 10.0],
                             offer_mw=[[200.0], [200.0]],
                             offer_price_usd_per_mwh=[[10.0], [30.0]],
                             ramp_up_mw_per_min=[1.0, RAMP_MW_PER_MIN],
                             shutdown_ramp_mw=[5.0, 200.0], initial_on=True))
    alone = dispatch_day(slow, commitment, initial, lookahead=1)
    ahead = dispatch_day(slow, commitment, initial, lookahead=4)
    assert ahead.failures == alone.failures == {}
    np.testing.assert_allclose(ahead.day.output_mw, alone.day.output_mw, atol=1e-6)
